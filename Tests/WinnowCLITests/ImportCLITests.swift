import Foundation
import Testing

@Suite struct ImportCLITests {
    @Test func importsTheDemoCorpusAndSummarises() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let run = try winnow([
            "import", repoRoot + "/demo/reviews.jsonl", "--map", "scene.domain=domain",
            "--on-error", "skip", "--rejects", dir.file("rejects.jsonl"), "--db", db,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(run.stdout.split(separator: "\n").first.map(String.init))
        #expect(summary.hasPrefix(repoRoot + "/demo/reviews.jsonl: text · read 120, new 111, duplicates 6, label conflicts 2, rejected 3 · "))
        #expect(summary.hasSuffix(" records/s"))
        #expect(run.stderr.contains("rejected: \(repoRoot)/demo/reviews.jsonl:37: invalid JSON"))
        let rejects = try String(contentsOfFile: dir.file("rejects.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 3)
        #expect(try query(db, "SELECT count(*) FROM samples") == 111)
        #expect(try query(db, "SELECT count(*) FROM occurrences") == 117)
        #expect(try query(db, "SELECT count(*) FROM scene_annotations WHERE dimension = 'domain' AND category = 'travel'") == 6)
    }

    @Test func jsonOutputHasTheDocumentedFields() throws {
        let dir = TempDir()
        let run = try winnow(["import", repoRoot + "/demo/nli.csv", repoRoot + "/demo/chats.jsonl.gz", "--json", "--db", dir.file("w.db")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty, "no progress bar when stderr is not a terminal")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let files = try #require(doc["files"] as? [[String: Any]])
        #expect(files.count == 2)
        for key in ["path", "format", "kind", "read", "imported", "duplicates", "label_conflicts", "rejected", "seconds"] {
            #expect(files[0][key] != nil, "missing \(key)")
        }
        #expect(files[0]["kind"] as? String == "pair")
        #expect(files[0]["imported"] as? Int == 39)
        #expect(files[0]["duplicates"] as? Int == 1)
        #expect(files[1]["kind"] as? String == "chat")
        #expect(files[1]["format"] as? String == "jsonl")
        let totals = try #require(doc["totals"] as? [String: Any])
        #expect(totals["read"] as? Int == 60)
        #expect(totals["imported"] as? Int == 59)
    }

    @Test func reimportSaysNothingChanged() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db])
        let again = try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db])
        #expect(again.status == 0)
        #expect(again.stdout == "\(repoRoot)/demo/nli.csv: already imported (same SHA-256); nothing changed\n")
    }

    /// Every malformed input: exit 1, a FILE:LINE message, no stack trace, and the store as it was.
    @Test(arguments: [
        ("invalid_json.jsonl", ":2: invalid JSON: Unexpected end of file during JSON parse."),
        ("missing_field.jsonl", ":3: missing required field 'text' for a text sample"),
        ("wrong_type.jsonl", ":2: field 'text' is a number, expected a string"),
        ("invalid_utf8.jsonl", ":2: invalid UTF-8 (byte 0xE9 at column 25)"),
        ("nul_byte.jsonl", ":2: NUL byte at column 23"),
        ("bom_not_at_start.jsonl", ":2: byte-order mark (BOM) at the start of the line"),
        ("non_object.jsonl", ":2: the record is an array, expected a JSON object"),
        ("deep_nesting.jsonl", ":2: invalid JSON: Too many nested arrays or dictionaries"),
        ("number_overflow.jsonl", ":2: invalid JSON: Number 1e999 is not representable"),
        ("duplicate_id.jsonl", ":2: id 'g1' is already used by another sample with different content"),
        ("ragged_columns.csv", ":3: 1 fields, expected 2"),
        ("unbalanced_quote.csv", ":3: unterminated quoted field"),
        ("quote_after_close.csv", ":3: unexpected character 'x' after a closing quote"),
        ("unclosed_array.json", ": line 3: the JSON array is not closed"),
        ("truncated.jsonl.gz", ": the gzip data ends early (truncated file)"),
        ("empty.jsonl", ": the file is empty; nothing to import"),
        ("whitespace_only.jsonl", ": the file holds only white space"),
        ("binary.jsonl", ": this looks like a binary file"),
        ("does_not_exist.jsonl", ": no such file; check the path"),
        ("mixed_kinds_unknown.jsonl", ": line 1: cannot tell the sample kind from the fields [bar, foo]"),
    ])
    func badInputIsReportedAndChangesNothing(file: String, message: String) throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        try winnow(["import", repoRoot + "/demo/nli.csv", "--db", db])
        let path = fixtures + "/bad/" + file
        let run = try winnow(["import", path, "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: " + path + message), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
        #expect(!run.stderr.contains("Stack dump"))
        #expect(run.stdout.isEmpty)
        #expect(try query(db, "SELECT count(*) FROM samples") == 39)
        #expect(try query(db, "SELECT count(*) FROM sources") == 1)
        #expect(try query(db, "SELECT count(*) FROM occurrences") == 40)
    }

    @Test func overLongLineRespectsTheLimit() throws {
        let dir = TempDir()
        let path = fixtures + "/bad/over_long_line.jsonl"
        let run = try winnow(["import", path, "--max-record-bytes", "1000", "--db", dir.file("w.db")])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: \(path):2: line is 5023 bytes, over the limit of 1000 (--max-record-bytes)"))
        #expect(try winnow(["import", path, "--db", dir.file("w.db")]).status == 0)
    }

    @Test func skipModeImportsTheRest() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let run = try winnow([
            "import", fixtures + "/bad/ragged_columns.csv", "--on-error", "skip",
            "--rejects", dir.file("r.jsonl"), "--db", db,
        ])
        #expect(run.status == 0)
        #expect(run.stdout.contains("read 4, new 2, duplicates 0, label conflicts 0, rejected 2"))
        #expect(try query(db, "SELECT count(*) FROM samples") == 2)
        let rejects = try String(contentsOfFile: dir.file("r.jsonl"), encoding: .utf8)
        #expect(rejects.contains("\"line\":3"))
        #expect(rejects.contains("\"line\":4"))
    }

    @Test func badOptionsAreUsageErrors() throws {
        let dir = TempDir()
        let rejectsWithoutSkip = try winnow(["import", repoRoot + "/demo/nli.csv", "--rejects", "x.jsonl", "--db", dir.file("w.db")])
        #expect(rejectsWithoutSkip.status == 64)
        #expect(rejectsWithoutSkip.stderr.contains("--rejects goes with --on-error skip"))
        let badMap = try winnow(["import", repoRoot + "/demo/nli.csv", "--map", "body", "--db", dir.file("w.db")])
        #expect(badMap.status == 1)
        #expect(badMap.stderr.contains("--map body: expected ROLE=FIELD"))
        let badKind = try winnow(["import", repoRoot + "/demo/nli.csv", "--kind", "image", "--db", dir.file("w.db")])
        #expect(badKind.status == 64)
    }

    @Test func forcedKindAndMappingOverrideDetection() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let run = try winnow([
            "import", repoRoot + "/demo/nli.csv", "--kind", "text", "--map", "text=premise",
            "--map", "meta.hypothesis=hypothesis", "--json", "--db", db,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\"kind\" : \"text\""))
        #expect(try query(db, "SELECT count(*) FROM samples WHERE kind = 'text' AND meta LIKE '{\"hypothesis\":%'") == 18)
    }
}

import Foundation
import GRDB
import Testing

/// RELIABILITY 7.6 (B1, B2, B4) and 7.7 (X1, X3, X5): generated bad input at volume,
/// injection attempts through every selection option, export paths, the CSV formula guard.
@Suite(.serialized) struct HostileInputTests {
    /// B1: 10,000 JSONL lines, ~20 % bad, of 12 kinds, in a seeded order. Returns the file's
    /// bytes, the bad lines (number, kind) and the number of valid records.
    static func malformedCorpus(seed: UInt64, lines: Int = 10_000) -> (Data, [(Int, String)], Int) {
        var state = seed
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        let kinds = [
            "invalid JSON", "truncated line", "wrong type", "missing text", "duplicate id", "invalid UTF-8",
            "NUL byte", "BOM not at start", "over-long line", "nesting over the limit", "non-object top level",
            "number overflow",
        ]
        var out = Data()
        var bad: [(Int, String)] = []
        var valid = 0
        for n in 1...lines {
            let good = "{\"id\": \"r\(n)\", \"text\": \"record \(n) with a \\\"quoted\\\" word and é\", \"label\": \"l\(n % 3)\"}"
            if n <= 2 || next() % 5 != 0 {
                out.append(Data((good + "\n").utf8)); valid += 1; continue
            }
            let kind = kinds[next() % kinds.count]
            var line: [UInt8]
            switch kind {
            case "invalid JSON": line = Array("{\"id\": \"r\(n)\", \"text\": nope}".utf8)
            case "truncated line": line = Array(good.utf8.prefix(25))
            case "wrong type": line = Array("{\"id\": \"r\(n)\", \"text\": [1, 2], \"label\": \"a\"}".utf8)
            case "missing text": line = Array("{\"id\": \"r\(n)\", \"label\": \"a\"}".utf8)
            case "duplicate id": line = Array("{\"id\": \"r1\", \"text\": \"another text \(n)\", \"label\": \"a\"}".utf8)
            case "invalid UTF-8": line = Array("{\"id\": \"r\(n)\", \"text\": \"bad ".utf8) + [0xC3, 0x28, 0xFF] + Array("\"}".utf8)
            case "NUL byte": line = Array("{\"id\": \"r\(n)\", \"text\": \"nul".utf8) + [0] + Array("\"}".utf8)
            case "BOM not at start": line = [0xEF, 0xBB, 0xBF] + Array(good.utf8)
            case "over-long line": line = Array("{\"id\": \"r\(n)\", \"text\": \"\(String(repeating: "x", count: 5000))\"}".utf8)
            case "nesting over the limit":
                line = Array("{\"id\": \"r\(n)\", \"text\": \"t\", \"meta\": \(String(repeating: "[", count: 600))\(String(repeating: "]", count: 600))}".utf8)
            case "non-object top level": line = Array("[\"r\(n)\", \"text\"]".utf8)
            default: line = Array("{\"id\": \"r\(n)\", \"text\": \"t\(n)\", \"score\": 1e999}".utf8)
            }
            out.append(contentsOf: line + [0x0A])
            bad.append((n, kind))
        }
        return (out, bad, valid)
    }

    @Test func tenThousandLinesOfTwelveBadKindsAreEachReportedWithTheirLine() throws {
        let dir = TempDir()
        let seed: UInt64 = 20261121
        let (data, bad, valid) = Self.malformedCorpus(seed: seed)
        let file = dir.file("mixed.jsonl")
        try data.write(to: URL(fileURLWithPath: file))
        #expect(Set(bad.map(\.1)).count == 12, "seed \(seed): every kind present")
        let db = dir.file("w.db")
        let limit = ["--max-record-bytes", "4096"]

        // Strict: nothing committed; the first 100 bad lines listed in order, then the exact total.
        let strict = try winnow(["import", file, "--db", db] + limit)
        #expect(strict.status == 1)
        let listed = strict.stderr.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("error: ") || line.hasPrefix(file) else { return nil }
            let rest = line.hasPrefix("error: ") ? line.dropFirst(7) : line[...]
            return Int(rest.dropFirst(file.count + 1).prefix { $0.isNumber })
        }
        #expect(listed == bad.prefix(100).map(\.0), "seed \(seed): strict listing")
        #expect(strict.stderr.contains("… and \(bad.count - 100) more bad records"), "\(strict.stderr.suffix(400))")
        #expect(try query(db, "SELECT count(*) FROM samples") == 0)

        // Lenient: valid lines imported, every bad one in the rejects file with its line number.
        let rejects = dir.file("rejects.jsonl")
        let lenient = try winnow(["import", file, "--on-error", "skip", "--rejects", rejects, "--json", "--db", db] + limit)
        #expect(lenient.status == 0, "\(lenient.stderr)")
        let totals = try #require((try JSONSerialization.jsonObject(with: Data(lenient.stdout.utf8)) as? [String: Any])?["totals"] as? [String: Any])
        #expect(
            totals["imported"] as? Int == valid && totals["rejected"] as? Int == bad.count && totals["read"] as? Int == 10_000,
            "seed \(seed): \(totals)")
        let rejectLines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: rejects)), as: UTF8.self).split(separator: "\n")
        let numbers = rejectLines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["line"] as? Int }
        #expect(numbers == bad.map(\.0), "seed \(seed): rejects file")
        #expect(try query(db, "SELECT count(*) FROM samples") == valid)
    }

    /// B2: malformed CSV is refused with its line; the valid edge cases (quoted newlines,
    /// doubled quotes, a BOM at the start) import exactly.
    @Test func csvEdgeCasesRoundTripAndBrokenOnesAreLocated() throws {
        let dir = TempDir()
        let good = dir.file("good.csv")
        try Data(([0xEF, 0xBB, 0xBF] + Array("text,label\n\"line one\nline two\",a\n\"she said \"\"hi\"\"\",b\n\"comma, inside\",a\n".utf8))).write(to: URL(fileURLWithPath: good))
        let db = dir.file("w.db")
        let run = try winnow(["import", good, "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let texts = try query(db, "SELECT group_concat(text, '|') FROM (SELECT c.text FROM contents c ORDER BY c.id)", as: String.self)
        #expect(texts == "line one\nline two|she said \"hi\"|comma, inside")
        let export = try winnow(["snapshot", "create", "v", "--db", db])
        #expect(export.status == 0)
        #expect(try winnow(["export", "v", "--format", "csv", "--raw", "--out", dir.file("out"), "--db", db]).status == 0)
        let csv = try String(contentsOfFile: dir.file("out/train.csv"), encoding: .utf8)
        #expect(csv.contains("\"line one\nline two\"") && csv.contains("\"she said \"\"hi\"\"\"") && csv.contains("\"comma, inside\""), "\(csv)")

        let cases: [(String, String, Int)] = [
            ("text,label\n\"open quote,a\nnext,b\n", "unterminated", 2),
            ("text,label\nok,a\nthree,cells,here\n", "3 fields", 3),
            ("text;label\nok;a\n", "line 1: cannot tell the sample kind", 0),
        ]
        for (i, (body, message, line)) in cases.enumerated() {
            let path = dir.file("bad\(i).csv")
            try Data(body.utf8).write(to: URL(fileURLWithPath: path))
            let bad = try winnow(["import", path, "--db", dir.file("bad\(i).db")])
            #expect(bad.status == 1 && bad.stderr.contains(line > 0 ? "\(path):\(line)" : path) && bad.stderr.contains(message), "case \(i): \(bad.stderr)")
            #expect(!bad.stderr.contains("Fatal error"))
        }
    }

    /// B4: nesting of 513, 10k and 100k levels is a clean error, never a crash.
    @Test func deepNestingIsAnErrorNotACrash() throws {
        let dir = TempDir()
        for depth in [513, 10_000, 100_000] {
            let path = dir.file("deep\(depth).jsonl")
            let line = "{\"text\": \"t\", \"meta\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}\n"
            try Data(line.utf8).write(to: URL(fileURLWithPath: path))
            let run = try winnow(["import", path, "--db", dir.file("d\(depth).db")])
            #expect(
                run.status == 1 && run.stderr.contains(path) && run.stderr.contains("line 1: invalid JSON: Too many nested"),
                "depth \(depth): \(run.status) \(run.stderr.prefix(300))")
            #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Stack"))
        }
    }

    /// X1: selection options take text only as bound values: injection attempts match nothing
    /// and leave the schema exactly as it was.
    @Test func injectionAttemptsThroughSelectionsChangeNothing() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--map", "scene.domain=domain", "--db", db]).status == 0)
        let schema = { try query(db, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master ORDER BY name)", as: String.self) }
        let before = try schema()
        let samples = try query(db, "SELECT count(*) FROM samples")
        let attempts = [
            "' OR 1=1 --", "x'; DROP TABLE samples; --", "\" OR \"\"=\"", "a' UNION SELECT name FROM sqlite_master --",
            "'; ATTACH DATABASE '/tmp/evil.db' AS e; --", "x') OR load_extension('/tmp/evil') --", "/* comment */ positive",
            "positive' --", "ʼ OR 1=1 --", "＇ OR 1=1 --", "%", "_", "*", "positive\u{200B}",
        ]
        for (n, text) in attempts.enumerated() {
            for arguments in [
                ["samples", "--label", text, "--count"], ["samples", "--scene", "domain=\(text)", "--count"],
                ["samples", "--source", text, "--count"], ["samples", "--flag", text, "--count"],
                ["queue", "create", "q\(n)", "--label", text],
                ["snapshot", "create", "s\(n)", "--label", text],
            ] {
                let run = try winnow(arguments + ["--db", db])
                #expect(run.status == 0 || run.status == 1 || run.status == 64, "\(arguments): \(run.stderr)")
                if arguments.contains("--count") && run.status == 0 {
                    #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(arguments) matched: \(run.stdout)")
                }
                #expect(!run.stderr.contains("Fatal error"))
            }
        }
        #expect(try schema() == before)
        #expect(try query(db, "SELECT count(*) FROM samples") == samples)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.db"))
        #expect(try query(db, "SELECT count(*) FROM snapshot_members") == 0)
    }

    /// X3: --out: an existing file, a non-empty folder, a symlink at the destination, a path
    /// through `..`: refused or handled as documented, nothing written outside, no temp left.
    @Test func exportPathsStayWhereTheyAreTold() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "v", "--db", db]).status == 0)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: dir.file("file")))
        let file = try winnow(["export", "v", "--out", dir.file("file"), "--db", db])
        #expect(file.status == 1 && file.stderr.contains("is a file"), "\(file.stderr)")
        #expect(try String(contentsOfFile: dir.file("file"), encoding: .utf8) == "keep me")

        // A symlink at the destination pointing elsewhere: the link is replaced, its target untouched.
        let elsewhere = dir.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: elsewhere + "/precious.txt"))
        try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: elsewhere)
        let link = try winnow(["export", "v", "--out", dir.file("link"), "--db", db])
        #expect(link.status == 1 && link.stderr.contains("not empty"), "\(link.stderr)")
        // --force judges what the link points to: files an export did not write, so refused.
        let forced = try winnow(["export", "v", "--out", dir.file("link"), "--force", "--db", db])
        #expect(forced.status == 1 && forced.stderr.contains("holds files an export did not write (precious.txt)"), "\(forced.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere) == ["precious.txt"], "the link's target was written")
        #expect(try String(contentsOfFile: elsewhere + "/precious.txt", encoding: .utf8) == "precious")
        // A link to a previous export is replaced by the new export; its target is left as it was.
        let previous = dir.file("previous")
        #expect(try winnow(["export", "v", "--out", previous, "--db", db]).status == 0)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link2"), withDestinationPath: previous)
        let relinked = try winnow(["export", "v", "--out", dir.file("link2"), "--force", "--db", db])
        #expect(relinked.status == 0, "\(relinked.stderr)")
        let type = try FileManager.default.attributesOfItem(atPath: dir.file("link2"))[.type] as? FileAttributeType
        #expect(type == .typeDirectory && FileManager.default.fileExists(atPath: previous + "/manifest.json"))

        // `..` resolves to a sibling folder, like any path: written there, whole.
        try FileManager.default.createDirectory(atPath: dir.file("sub"), withIntermediateDirectories: true)
        let up = try winnow(["export", "v", "--out", "../up", "--db", db], in: dir.file("sub"))
        #expect(up.status == 0 && FileManager.default.fileExists(atPath: dir.file("up/manifest.json")), "\(up.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("winnow-tmp") }
        #expect(leftovers.isEmpty)
    }

    /// X5: every formula-leading character is neutralised in csv exports; --raw is byte-exact; jsonl never altered.
    @Test func csvCellsCannotBecomeFormulas() throws {
        let dir = TempDir()
        let texts = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "plain"]
        var jsonl = ""
        for (i, t) in texts.enumerated() {
            let escaped = t.replacingOccurrences(of: "\t", with: "\\t").replacingOccurrences(of: "\r", with: "\\r")
            jsonl += "{\"id\": \"f\(i)\", \"text\": \"\(escaped)\", \"label\": \"=HYPERLINK(x)\"}\n"
        }
        try Data(jsonl.utf8).write(to: URL(fileURLWithPath: dir.file("f.jsonl")))
        let db = dir.file("w.db")
        #expect(try winnow(["import", dir.file("f.jsonl"), "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "v", "--db", db]).status == 0)
        #expect(try winnow(["export", "v", "--format", "csv", "--out", dir.file("safe"), "--db", db]).status == 0)
        #expect(try winnow(["export", "v", "--format", "csv", "--raw", "--out", dir.file("raw"), "--db", db]).status == 0)
        #expect(try winnow(["export", "v", "--format", "jsonl", "--out", dir.file("jsonl"), "--db", db]).status == 0)
        let safe = try String(contentsOfFile: dir.file("safe/train.csv"), encoding: .utf8)
        let raw = try String(contentsOfFile: dir.file("raw/train.csv"), encoding: .utf8)
        for t in texts where t != "plain" {
            let cell = t.contains("\r") ? "\"'\(t)\"" : "'\(t)"
            #expect(safe.contains(cell), "\(t.debugDescription) not neutralised")
            #expect(raw.contains(t.contains("\r") ? "\"\(t)\"" : ",\(t),"), "\(t.debugDescription) not byte-exact in --raw")
        }
        #expect(safe.contains(",'=HYPERLINK(x),") && raw.contains(",=HYPERLINK(x),"))
        let lines = try String(contentsOfFile: dir.file("jsonl/train.jsonl"), encoding: .utf8).split(separator: "\n")
        let exported = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["text"] as? String }
        #expect(Set(exported) == Set(texts))
    }
}

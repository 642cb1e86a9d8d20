import Foundation
import Testing

/// `winnow import` of Parquet files, through the built binary.
@Suite struct ParquetImportCLITests {
    static let fixture = repoRoot + "/Tests/Fixtures/parquet/pyarrow-snappy.parquet"

    @Test func importsAParquetFileWithRowNumbersAsLines() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let run = try winnow([
            "import", Self.fixture, "--kind", "text", "--map", "scene.tone=label", "--on-error", "skip", "--rejects", dir.file("rejects.jsonl"),
            "--json", "--db", db,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let file = try #require((doc["files"] as? [[String: Any]])?.first)
        #expect(file["format"] as? String == "parquet")
        #expect(file["read"] as? Int == 23)
        #expect(file["imported"] as? Int == 20)
        #expect(file["rejected"] as? Int == 3)
        // Rows 4, 11 and 18 have a null text: the row number is the line, the row is the raw JSON.
        let rejects = try String(contentsOfFile: dir.file("rejects.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 3)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(rejects[0].utf8)) as? [String: Any])
        #expect(first["line"] as? Int == 4)
        #expect(first["reason"] as? String == "missing required field 'text' for a text sample")
        #expect((first["raw"] as? String)?.contains("\"id\":\"r003\"") == true)
        #expect(try query(db, "SELECT count(*) FROM samples") == 20)
        #expect(try query(db, "SELECT count(*) FROM scene_annotations WHERE dimension = 'tone'") == 20)
        #expect(try query(db, "SELECT format FROM sources", as: String.self) == "parquet")
        // The same rows again: nothing new (the file's hash is known).
        let again = try winnow(["import", Self.fixture, "--kind", "text", "--on-error", "skip", "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try query(db, "SELECT count(*) FROM samples") == 20)
    }

    @Test func chatMessagesComeFromANestedListColumn() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let run = try winnow(["import", Self.fixture, "--kind", "chat", "--map", "id=", "--on-error", "skip", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        // Rows i % 4 == 0 hold one conversation, i % 4 == 3 another (a system message with null
        // content, then a user one); the rest have an empty or null list and are rejected.
        #expect(try query(db, "SELECT count(*) FROM samples WHERE kind = 'chat'") == 2)
        let messages = try query(db, "SELECT messages FROM contents WHERE messages LIKE '%café%'", as: String.self)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data((messages ?? "").utf8)) as? [[String: Any]])
        #expect(parsed.map { $0["role"] as? String } == ["system", "user"])
        #expect(parsed[1]["content"] as? String == "naïve café ☕")
    }

    @Test func aTruncatedFileIsRefusedAndNothingIsWritten() throws {
        let dir = TempDir()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.fixture))
        let cut = dir.file("cut.parquet")
        try bytes.prefix(bytes.count - 40).write(to: URL(fileURLWithPath: cut))
        let run = try winnow(["import", cut, "--kind", "text", "--db", dir.file("w.db")])
        #expect(run.status != 0)
        #expect(run.stderr.contains("cut.parquet"), "\(run.stderr)")
        #expect(run.stderr.contains("the file does not end with PAR1"), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
        // A damaged page: the row group and the column are named.
        var damaged = bytes
        for i in 300..<340 { damaged[i] ^= 0x5A }
        let bad = dir.file("bad.parquet")
        try damaged.write(to: URL(fileURLWithPath: bad))
        let run2 = try winnow(["import", bad, "--kind", "text", "--db", dir.file("w.db")])
        #expect(run2.status != 0)
        #expect(run2.stderr.contains("row group 1 of 1, column '"), "\(run2.stderr)")
        #expect(try query(dir.file("w.db"), "SELECT count(*) FROM samples") == 0)
    }

    @Test func aParquetFileIsRecognisedByItsMagicWhateverItsName() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let renamed = dir.file("rows.bin")
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: renamed)
        let run = try winnow(["import", renamed, "--kind", "text", "--on-error", "skip", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try query(db, "SELECT count(*) FROM samples") == 20)
    }
}

import Foundation
import GRDB
import Testing
@testable import WinnowKit

@Suite struct ImporterTests {
    func count(_ store: Store, _ sql: String) throws -> Int {
        try store.read { try Int.fetchOne($0, sql: sql) ?? -1 }
    }

    @Test func dedupKeepsEveryOccurrenceAndFlagsLabelConflicts() throws {
        let dir = TempDir()
        let path = dir.write(
            "a.jsonl",
            """
            {"id": "1", "text": "Hello world", "label": "pos"}
            {"id": "2", "text": "  hello world", "label": "pos"}
            {"id": "3", "text": "Hello   world\\r\\n", "label": "neg"}
            {"id": "4", "text": "Something else", "label": "neg"}
            {"id": "5", "text": "Hello world", "label": "neu"}
            """)
        let store = try dir.store()
        var options = ImportOptions()
        options.map = try FieldMapping.parseOverrides([])
        let result = try Importer(store: store, options: options).importFile(path)
        #expect(result.read == 5)
        #expect(result.imported == 3) // "Hello world", "hello world" (case differs), "Something else"
        #expect(result.duplicates == 2)
        #expect(result.labelConflicts == 2)
        #expect(try count(store, "SELECT count(*) FROM samples") == 3)
        #expect(try count(store, "SELECT count(*) FROM occurrences") == 5)
        // One open label-conflict flag per sample, however many conflicting records.
        #expect(try count(store, "SELECT count(*) FROM flags WHERE detector = 'label-conflict' AND status = 'open'") == 1)
        let detail = try store.sample(uid: "1")
        #expect(detail.occurrences.map(\.line) == [1, 3, 5])
        #expect(detail.occurrences.map(\.recordId) == ["1", "3", "5"])
        #expect(detail.flags.first?.reason == "same content labelled 'pos' before and 'neg' at a.jsonl:3")
        #expect(detail.label == "pos")
    }

    @Test func abortImportsNothingAndReportsEveryBadLine() throws {
        let dir = TempDir()
        let store = try dir.store()
        let before = try count(store, "SELECT count(*) FROM sources")
        do {
            _ = try Importer(store: store, options: ImportOptions()).importFile(fixtures + "/bad/non_object.jsonl")
            Issue.record("expected an error")
        } catch let error as WinnowError {
            guard case .badRecords(_, let problems, let total, _) = error else { Issue.record("\(error)"); return }
            #expect(total == 2)
            #expect(problems.map(\.line) == [2, 3])
        }
        #expect(try count(store, "SELECT count(*) FROM samples") == 0)
        #expect(try count(store, "SELECT count(*) FROM sources") == before)
    }

    @Test func skipImportsTheRestAndWritesRejects() throws {
        let dir = TempDir()
        let store = try dir.store()
        var options = ImportOptions()
        options.onError = .skip
        options.rejectsPath = dir.path("rejects.jsonl")
        let result = try Importer(store: store, options: options).importFile(fixtures + "/bad/invalid_json.jsonl")
        #expect(result.read == 3)
        #expect(result.imported == 2)
        #expect(result.rejected == 1)
        let rejects = try String(contentsOfFile: dir.path("rejects.jsonl"), encoding: .utf8)
        let lines = rejects.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(object?["line"] as? Int == 2)
        #expect(object?["reason"] as? String == "invalid JSON: Unexpected end of file during JSON parse.")
        #expect((object?["raw"] as? String)?.hasPrefix("{\"id\": \"x\"") == true)
    }

    @Test func reimportingTheSameFileChangesNothing() throws {
        let dir = TempDir()
        let store = try dir.store()
        let importer = Importer(store: store, options: ImportOptions())
        let first = try importer.importFile(repoRoot + "/demo/nli.csv")
        #expect(first.status == "imported")
        let occurrences = try count(store, "SELECT count(*) FROM occurrences")
        let second = try importer.importFile(repoRoot + "/demo/nli.csv")
        #expect(second.status == "unchanged")
        #expect(second.imported == 0)
        #expect(try count(store, "SELECT count(*) FROM occurrences") == occurrences)
        #expect(try count(store, "SELECT count(*) FROM sources") == 1)
    }

    @Test func gzipAndPlainFilesGiveTheSameSamples() throws {
        let dir = TempDir()
        let text = (1...50).map { "{\"text\": \"record \($0)\", \"label\": \"l\($0 % 3)\"}" }.joined(separator: "\n")
        let plain = dir.write("p.jsonl", text)
        let gz = dir.path("p2.jsonl.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -c '\(plain)' > '\(gz)'"]
        try process.run(); process.waitUntilExit()
        let store = try dir.store()
        let importer = Importer(store: store, options: ImportOptions())
        #expect(try importer.importFile(plain).imported == 50)
        let again = try importer.importFile(gz)
        #expect(again.imported == 0)
        #expect(again.duplicates == 50)
        #expect(try count(store, "SELECT compressed FROM sources WHERE id = 2") == 1)
    }

    @Test func everyKindIsStoredInItsColumns() throws {
        let dir = TempDir()
        let store = try dir.store()
        var options = ImportOptions()
        options.map = try FieldMapping.parseOverrides(["scene.task=category"])
        options.strictMap = false // one --map for both files, as `winnow import A B` does
        let importer = Importer(store: store, options: options)
        #expect(try importer.importFile(repoRoot + "/demo/instructions.json").imported == 30)
        #expect(try importer.importFile(repoRoot + "/demo/chats.jsonl.gz").imported == 20)
        #expect(try count(store, "SELECT count(*) FROM contents WHERE instruction IS NOT NULL AND output IS NOT NULL") == 30)
        #expect(try count(store, "SELECT count(*) FROM scene_annotations WHERE dimension = 'task'") == 30)
        let chat = try store.sample(uid: "chat-01")
        let messages = try JSONDecoder().decode([ChatMessage].self, from: Data(chat.content["messages"]!.utf8))
        #expect(messages.first?.role == "user")
        #expect(messages.dropFirst().first?.role == "assistant")
    }

    @Test func pairScoresAndCSVLabelsAreKept() throws {
        let dir = TempDir()
        let path = dir.write("sts.csv", "sentence1,sentence2,score\nA man plays.,A person plays.,4.5\nx,y,\n")
        let store = try dir.store()
        let result = try Importer(store: store, options: ImportOptions()).importFile(path)
        #expect(result.kind == "pair")
        #expect(try store.read { try Double.fetchOne($0, sql: "SELECT score FROM revisions WHERE id = 1") } == 4.5)
        #expect(try count(store, "SELECT count(*) FROM revisions WHERE score IS NULL") == 1)
    }

    @Test func duplicateIdWithOtherContentIsABadRecord() throws {
        let dir = TempDir()
        let store = try dir.store()
        do {
            _ = try Importer(store: store, options: ImportOptions()).importFile(fixtures + "/bad/duplicate_id.jsonl")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("duplicate_id.jsonl:2: id 'g1' is already used by another sample with different content"))
        }
        #expect(try count(store, "SELECT count(*) FROM samples") == 0)
    }

    @Test(arguments: [
        ("empty.jsonl", "the file is empty; nothing to import"),
        ("whitespace_only.jsonl", "the file holds only white space; nothing to import"),
        ("binary.jsonl", "this looks like a binary file"),
        ("missing.jsonl", "no such file; check the path"),
        ("unclosed_array.json", "line 3: the JSON array is not closed"),
        ("mixed_kinds_unknown.jsonl", "line 1: cannot tell the sample kind from the fields [bar, foo]"),
        ("truncated.jsonl.gz", "the gzip data ends early"),
    ])
    func unreadableFilesGetOneClearMessage(file: String, message: String) throws {
        let dir = TempDir()
        let store = try dir.store()
        do {
            _ = try Importer(store: store, options: ImportOptions()).importFile(fixtures + "/bad/" + file)
            Issue.record("expected an error for \(file)")
        } catch let error as WinnowError {
            #expect(error.description.contains(message), "\(error.description)")
            #expect(error.description.hasPrefix(fixtures + "/bad/" + file + ": "))
        }
        #expect(try count(store, "SELECT count(*) FROM samples") == 0)
        #expect(try count(store, "SELECT count(*) FROM sources") == 0)
    }
}

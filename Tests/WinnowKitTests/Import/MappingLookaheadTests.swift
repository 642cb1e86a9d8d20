import Foundation
import Testing
@testable import WinnowKit

/// Issue 11 item 7: the mapping is resolved over the first 1,000 records.
@Suite struct MappingLookaheadTests {
    func importing(_ text: String, map: [String] = [], onError: OnError = .skip) throws -> (ImportResult, Store, TempDir) {
        let dir = TempDir()
        let store = try dir.store()
        var options = ImportOptions()
        options.map = try FieldMapping.parseOverrides(map)
        options.onError = onError
        return (try Importer(store: store, options: options).importFile(dir.write("f.jsonl", text)), store, dir)
    }

    @Test func fieldsOfLaterRecordsInTheWindowAreMapped() throws {
        var text = ""
        for i in 0..<999 { text += #"{"text": "t\#(i)"}"# + "\n" }
        text += #"{"text": "last", "label": "pos", "uid": "u-last"}"# + "\n"
        let (result, store, dir) = try importing(text)
        defer { withExtendedLifetime(dir) {} }
        #expect(result.imported == 1_000)
        #expect(result.warnings == nil)
        #expect(try store.sample(uid: "u-last").label == "pos")
    }

    @Test func aFileWhoseFirstThousandRecordsAreBadStillResolves() throws {
        var text = ""
        for _ in 0..<1_200 { text += "not json\n" }
        text += #"{"text": "finally", "label": "pos"}"# + "\n"
        let (result, _, _) = try importing(text)
        #expect(result.imported == 1)
        #expect(result.rejected == 1_200)
    }

    @Test func aFileWithNoValidRecordSaysSoEvenWithAMap() throws {
        do {
            _ = try importing("not json\n", map: ["label=sentiment"])
            Issue.record("imported")
        } catch let error as WinnowError {
            #expect(error.description.contains("no valid record in the file"), "\(error.description)")
        }
    }

    /// Abort mode checks the whole file before writing, so a field first seen past the window
    /// is fine; skip mode writes as it reads, so the field must show in the window.
    @Test func aMapFieldSeenOnlyAfterTheWindowIsNoErrorWhenTheWholeFileIsChecked() throws {
        var text = ""
        for i in 0..<1_100 { text += #"{"text": "t\#(i)"}"# + "\n" }
        text += #"{"text": "late", "topic": "news"}"# + "\n"
        let (result, store, dir) = try importing(text, map: ["scene.topic=topic"], onError: .abort)
        defer { withExtendedLifetime(dir) {} }
        #expect(result.imported == 1_101)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM scene_annotations") } == 1)
        do {
            _ = try importing(text, map: ["scene.topic=topic"], onError: .skip)
            Issue.record("skip mode imported a file whose --map field is not in the first 1,000 records")
        } catch let error as WinnowError {
            #expect(error.description.contains("first 1000 records"), "\(error.description)")
        }
    }
}

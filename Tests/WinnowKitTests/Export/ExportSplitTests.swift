import Foundation
import GRDB
import Testing
@testable import WinnowKit

/// Export's split scheme is saved in its own short transaction after the files; a plan read
/// before another export saved the same scheme is not saved over it (issue 11 items 5, 12).
@Suite struct ExportSplitTests {
    func members(_ store: Store) throws -> [ExportMember] {
        try store.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, s.uid, s.kind, r.label, r.content_id FROM samples s JOIN revisions r ON r.id = s.revision_id ORDER BY s.uid
                    """
            ).map {
                ExportMember(
                    sampleID: $0[0], contentID: $0[4], uid: $0[1], kind: SampleKind(rawValue: $0[2]) ?? .text,
                    label: $0[3], score: nil, scenes: [])
            }
        }
    }

    @Test func aStalePlanIsNotSavedAndTheExportIsRedone() throws {
        let dir = TempDir()
        let store = try dir.store()
        _ = try Importer(store: store, options: ImportOptions()).importFile(repoRoot + "/demo/nli.csv")
        _ = try store.createSnapshot(name: "v1", message: nil, selection: SnapshotSelection())
        var options = ExportOptions(out: dir.path("a"))
        options.split = [("train", 0.5), ("test", 0.5)]
        options.seed = 99
        let records = try members(store)
        // Planning reads only: nothing is saved.
        let stale = try store.read { try Store.planSplits($0, snapshot: 1, records: records, options: options) }
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM split_schemes") } == 0)
        // Another export saves the scheme first (with another seed order it could differ).
        var other = options
        other.out = dir.path("b")
        _ = try store.export(snapshot: "v1", options: other)
        let saved = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM split_assignments") }
        #expect(saved == records.count)
        // The stale plan (made before the scheme existed) is refused whole, and changes nothing.
        #expect(try store.writeImmediate { try store.saveSplits($0, stale, options: options) } == false)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM split_schemes") } == 1)
        // A plan read now keeps every saved split, adds nothing, and saves.
        let fresh = try store.read { try Store.planSplits($0, snapshot: 1, records: records, options: options) }
        #expect(fresh.fresh.isEmpty)
        #expect(try store.writeImmediate { try store.saveSplits($0, fresh, options: options) })
        // And a full export gives the files the other export wrote.
        _ = try store.export(snapshot: "v1", options: options)
        for file in ["train.jsonl", "test.jsonl", "manifest.json"] {
            #expect(FileManager.default.contents(atPath: dir.path("a/" + file)) == FileManager.default.contents(atPath: dir.path("b/" + file)))
        }

        // New samples planned, then one of them placed elsewhere by someone else: refused whole.
        var skip = ImportOptions()
        skip.onError = .skip
        _ = try Importer(store: store, options: skip).importFile(repoRoot + "/demo/reviews.jsonl")
        let all = try members(store)
        let plan = try store.read { try Store.planSplits($0, snapshot: 1, records: all, options: options) }
        let first = try #require(plan.fresh.first)
        try store.write {
            try $0.execute(
                sql: "INSERT INTO split_assignments (scheme_id, sample_id, split) SELECT id, ?, ? FROM split_schemes",
                arguments: [first.sample, first.split == "train" ? "test" : "train"])
        }
        let before = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM split_assignments") }
        #expect(try store.writeImmediate { try store.saveSplits($0, plan, options: options) } == false)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM split_assignments") } == before)
    }
}

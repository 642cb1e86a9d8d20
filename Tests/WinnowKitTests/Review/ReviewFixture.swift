import Foundation
import GRDB
import Testing
@testable import WinnowKit

/// A small store in a temporary folder, on a `ManualClock`: six text samples s1…s6 (s1–s3
/// labelled `pos`, s4–s6 `neg`), with helpers for flags, queues and decisions.
final class ReviewFixture {
    let dir = TempDir()
    let clock = ManualClock()
    let store: Store

    /// `reversed`: the same records, imported in the opposite order.
    init(reversed: Bool = false) throws {
        let numbers = reversed ? Array((1...6).reversed()) : Array(1...6)
        let lines = numbers.map { i in
            #"{"id": "s\#(i)", "text": "review sample number \#(i) with words of its own \#(String(repeating: "x", count: i))", "label": "\#(i <= 3 ? "pos" : "neg")"}"#
        }
        let path = dir.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        store = try Store(path: dir.path("w.db"), mode: .createIfMissing, clock: clock.wallClock)
        _ = try Importer(store: store, options: ImportOptions()).importFile(path)
    }

    /// Raises an open flag of `detector` on sample `uid`.
    func flag(_ uid: String, _ detector: String = DetectorName.boilerplate.rawValue, score: Double = 0.9) throws {
        try store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO flags (sample_id, content_id, detector, score, reason, details, status, created_at)
                    SELECT s.id, r.content_id, ?, ?, 'test', '{}', ?, '2027-01-01T00:00:00.000Z' FROM samples s \(CurrentRevision.join) WHERE s.uid = ?
                    """, arguments: [detector, score, FlagStatus.open, uid])
        }
    }

    /// Makes queue `name` of every sample (oldest first), or of those flagged by `detectors`.
    @discardableResult
    func queue(_ name: String, overlap: Int = 1, detectors: [String] = []) throws -> Int {
        var selection = QueueSelection()
        selection.priority = QueuePriority.oldest.rawValue
        selection.overlap = overlap
        selection.detectors = detectors
        return try store.createQueue(name: name, selection: selection).total
    }

    /// The item `reviewer` claims next.
    func next(_ queue: String, _ reviewer: String, lease: Double = 60) throws -> ReviewItem? {
        try store.nextItem(queue: queue, reviewer: reviewer, leaseSeconds: lease)
    }

    func decide(
        _ item: Int64, _ reviewer: String, _ action: DecisionAction, label: String? = nil,
        adjudicate: Bool = false
    ) throws -> DecisionOutcome {
        var request = DecisionRequest(item: item, reviewer: reviewer, action: action)
        request.label = label
        request.adjudicate = adjudicate
        return try store.decide(request)
    }

    /// The error `body` throws, as a `WinnowError` (nil when it throws none or another).
    func failure<T>(_ body: () throws -> T) -> WinnowError? {
        do { _ = try body(); return nil } catch { return error as? WinnowError }
    }

    func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
        try store.read { try Int.fetchOne($0, sql: sql, arguments: arguments) ?? -1 }
    }

    func text(_ sql: String, _ arguments: StatementArguments = []) throws -> String? {
        try store.read { try String.fetchOne($0, sql: sql, arguments: arguments) }
    }

    /// Sample `uid`'s status and current label.
    func sample(_ uid: String) throws -> (status: String, label: String?) {
        try store.read { db in
            let row = try #require(
                try Row.fetchOne(
                    db, sql: "SELECT s.status, r.label FROM samples s \(CurrentRevision.join) WHERE s.uid = ?",
                    arguments: [uid]))
            return (try row.value("status"), try row.value("label"))
        }
    }
}

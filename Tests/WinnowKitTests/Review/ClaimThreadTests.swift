import Foundation
import Testing
@testable import WinnowKit

/// RELIABILITY K7: reviewers as threads of one process — one shared Store and one Store per
/// thread — claim and decide one queue at once. Every item is decided exactly once, none is
/// lost. `scripts/reliability` runs this suite built with `-sanitize=thread` (no report allowed).
@Suite struct ClaimThreadTests {
    @Test func threadsClaimAndDecideEachItemOnce() throws {
        let dir = TempDir()
        let store = try dir.store()
        var options = ImportOptions()
        options.onError = .skip
        _ = try Importer(store: store, options: options).importFile(repoRoot + "/demo/reviews.jsonl")
        var selection = QueueSelection()
        selection.priority = "oldest"
        let created = try store.createQueue(name: "all", selection: selection)
        #expect(created.total == 111)

        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var decided: [Int64] = []
            var errors: [String] = []
            func add(_ id: Int64) { lock.lock(); decided.append(id); lock.unlock() }
            func fail(_ e: Error) { lock.lock(); errors.append("\(e)"); lock.unlock() }
        }
        let tally = Tally()
        let path = dir.path("w.db")
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            do {
                // Half the threads share the store, half open their own.
                let mine = i % 2 == 0 ? store : try Store(path: path)
                while let item = try mine.nextItem(queue: "all", reviewer: "r\(i)", leaseSeconds: 60) {
                    _ = try mine.decide(DecisionRequest(item: item.id, reviewer: "r\(i)", action: .keep))
                    tally.add(item.id)
                    // Overlap 1: once decided the item is resolved; move on to the next.
                }
            } catch {
                tally.fail(error)
            }
        }
        #expect(tally.errors.isEmpty, "\(tally.errors.prefix(3))")
        #expect(tally.decided.count == 111)
        #expect(Set(tally.decided).count == 111, "an item was decided twice")
        let decisions = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM decisions") }
        #expect(decisions == 111)
    }
}

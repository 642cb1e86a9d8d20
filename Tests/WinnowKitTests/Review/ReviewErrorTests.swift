import Foundation
import Testing
@testable import WinnowKit

/// Review and snapshot refusals are typed (`notFound`, `alreadyExists`, `leaseLost`,
/// `disagreement`) with a stable `code`, and keep their message text word for word.
@Suite struct ReviewErrorTests {
    @Test func whatIsNotThereIsNotFound() throws {
        let f = try ReviewFixture()
        try f.queue("all")
        let queue = f.failure { try f.store.queueStatus("nope") }
        #expect(queue == .notFound("no queue 'nope'; queues: all"))
        #expect(queue?.code == "not_found" && queue?.exitCode == 1)
        let snapshot = f.failure { try f.store.snapshot("nope") }
        #expect(snapshot == .notFound("no snapshot 'nope'; snapshots: none (make one with `winnow snapshot create NAME`)"))
        #expect(snapshot?.code == "not_found")
        let item = f.failure { try f.decide(999, "alice", .keep) }
        #expect(item == .notFound("no queue item 999; `winnow review next QUEUE --reviewer NAME` hands out item ids"))
        #expect(item?.code == "not_found")
        let bulk = f.failure { try f.store.undoBulk(7, reviewer: nil) }
        #expect(bulk == .notFound("no bulk decision 7; there are none to undo (`winnow review bulk` prints the id)"))
        #expect(bulk?.code == "not_found")
        // The same lookups serve every command that names a queue or a snapshot.
        #expect(f.failure { try f.store.agreement(queue: "nope") } == queue)
        #expect(f.failure { try f.store.diffSnapshots("nope", "nope", limit: nil) } == snapshot)
        #expect(f.failure { try f.store.verifySnapshot("nope") } == snapshot)
    }

    @Test func whatIsTakenAlreadyExists() throws {
        let f = try ReviewFixture()
        _ = try f.store.createSnapshot(name: "v1", message: nil, selection: SnapshotSelection())
        let snapshot = f.failure { try f.store.createSnapshot(name: "v1", message: nil, selection: SnapshotSelection()) }
        #expect(snapshot == .alreadyExists("snapshot 'v1' exists already and never changes; choose another name (snapshots are immutable)"))
        #expect(snapshot?.code == "already_exists" && snapshot?.exitCode == 1)

        try f.queue("all")
        let queue = f.failure { try f.queue("all", overlap: 2) }
        #expect(queue == .alreadyExists("queue 'all' exists with --overlap 1; re-create it with the same overlap, or give the new queue another name"))
        #expect(queue?.code == "already_exists")

        let a = try #require(try f.next("all", "alice"))
        _ = try f.decide(a.id, "alice", .keep)
        let mine = f.failure { try f.decide(a.id, "alice", .drop) }
        #expect(mine == .alreadyExists("alice already decided item \(a.id) (keep); undo it first with `winnow review undo --reviewer alice`"))
        let decided = f.failure { try f.decide(a.id, "bob", .drop) }
        #expect(decided == .alreadyExists("item \(a.id) (\(a.uid)) is already decided; undo that decision first to change it"))
        #expect(mine?.code == "already_exists" && decided?.code == "already_exists")

        // An item another reviewer holds is taken: `alreadyExists` too (it is not lost — the
        // asker never had it — and not missing).
        let held = try #require(try f.next("all", "bob"))
        let taken = f.failure { try f.decide(held.id, "carol", .keep) }
        #expect(taken?.code == "already_exists")
        #expect(taken?.description.hasPrefix("item \(held.id) is leased to bob until ") == true)
    }

    @Test func aLapsedLeaseIsLostAndUnsettledDecisionsDisagree() throws {
        let f = try ReviewFixture()
        try f.queue("one")
        let a = try #require(try f.next("one", "alice", lease: 5))
        f.clock.advance(6)
        _ = try #require(try f.next("one", "bob"))
        let lostToHolder = f.failure { try f.decide(a.id, "alice", .keep) }
        #expect(lostToHolder?.code == "lease_lost")
        _ = try f.decide(a.id, "bob", .keep)
        let lostToDecider = f.failure { try f.decide(a.id, "alice", .keep) }
        #expect(lostToDecider?.code == "lease_lost")
        #expect(lostToDecider?.description.hasPrefix("lease lost: your lease on item \(a.id) expired at ") == true)

        try f.queue("two", overlap: 2)
        let b = try #require(try f.next("two", "alice"))
        _ = try f.decide(b.id, "alice", .keep)
        _ = try f.decide(b.id, "bob", .drop)
        let third = f.failure { try f.decide(b.id, "carol", .keep) }
        #expect(third?.code == "disagreement" && third?.exitCode == 1)
    }
}

/// A store edited with sqlite3: a value Winnow never writes gives an error (exit 4), not a crash.
@Suite struct EditedStoreTests {
    @Test func aQueueOverlapThatIsNotANumberIsAnUnexpectedValue() throws {
        let f = try ReviewFixture()
        try f.queue("all")
        try f.store.write { try $0.execute(sql: "UPDATE queues SET overlap = 'two'") }
        for failure in [
            f.failure { try f.store.queueStatus("all") }, f.failure { try f.next("all", "alice") },
            f.failure { try f.store.agreement(queue: "all") },
        ] {
            guard case .unexpectedValue(_, let detail)? = failure else { Issue.record("\(String(describing: failure))"); continue }
            #expect(detail.contains("overlap"), "\(detail)")
            #expect(failure?.exitCode == 4)
        }
    }

    @Test func aDecisionActionWinnowNeverWritesIsAnUnexpectedValue() throws {
        let f = try ReviewFixture()
        try f.queue("all")
        let a = try #require(try f.next("all", "alice"))
        _ = try f.decide(a.id, "alice", .keep)
        try f.store.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: "UPDATE decisions SET action = 'maybe'")
        }
        let undo = f.failure { try f.store.undo(reviewer: "alice") }
        #expect(undo?.exitCode == 4 && undo?.code == "unexpected_value", "\(String(describing: undo))")
        let again = f.failure { try f.decide(a.id, "alice", .keep) }
        #expect(again?.code == "unexpected_value", "\(String(describing: again))")
    }
}

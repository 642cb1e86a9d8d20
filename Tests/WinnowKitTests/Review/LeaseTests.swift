import Foundation
import Testing
@testable import WinnowKit

/// `renewLease` and `leaseWait`, what the web review's timer and its "leased by others" line use.
@Suite struct LeaseTests {
    @Test func renewExtendsOnlyALiveLeaseOnAnOpenItem() throws {
        let f = try ReviewFixture()
        try f.queue("q")
        let item = try #require(try f.next("q", "alice", lease: 60))
        f.clock.advance(50)
        let renewed = try f.store.renewLease(item: item.id, reviewer: "alice", leaseSeconds: 60)
        #expect(renewed == Timestamp.string(f.clock.now.addingTimeInterval(60)))
        #expect(try f.text("SELECT expires_at FROM leases WHERE item_id = ?", [item.id]) == renewed)
        // Someone else's item, or none: refused, and no lease appears.
        #expect(f.failure { try f.store.renewLease(item: item.id, reviewer: "bob") }?.code == "lease_lost")
        #expect(try f.count("SELECT count(*) FROM leases WHERE reviewer = 'bob'") == 0)
        // A lapsed lease is lost, even if nobody took the item yet.
        f.clock.advance(61)
        #expect(f.failure { try f.store.renewLease(item: item.id, reviewer: "alice") }?.code == "lease_lost")
        // A decided item has no lease to renew.
        let again = try #require(try f.next("q", "alice", lease: 60))
        _ = try f.decide(again.id, "alice", .keep)
        #expect(f.failure { try f.store.renewLease(item: again.id, reviewer: "alice") }?.code == "lease_lost")
    }

    @Test func leaseWaitCountsWhatOthersLeasesKeepFromTheReviewer() throws {
        let f = try ReviewFixture()
        for uid in ["s1", "s2"] { try f.flag(uid) }
        try f.queue("one", detectors: [DetectorName.boilerplate.rawValue])
        try f.queue("two", overlap: 2, detectors: [DetectorName.boilerplate.rawValue])
        #expect(try f.store.leaseWait(queue: "one", reviewer: "alice") == LeaseWait(leasedByOthers: 0, nextFreeAt: nil))
        _ = try f.next("one", "bob", lease: 300)
        f.clock.advance(5)
        _ = try f.next("one", "carol", lease: 100)
        #expect(
            try f.store.leaseWait(queue: "one", reviewer: "alice")
                == LeaseWait(leasedByOthers: 2, nextFreeAt: Timestamp.string(f.clock.now.addingTimeInterval(100))))
        // bob's own lease is not "leased by others" for him.
        #expect(try f.store.leaseWait(queue: "one", reviewer: "bob").leasedByOthers == 1)
        // With overlap 2, one other reviewer's lease leaves the item open to alice.
        _ = try f.next("two", "bob", lease: 300)
        #expect(try f.store.leaseWait(queue: "two", reviewer: "alice").leasedByOthers == 0)
        _ = try f.next("two", "carol", lease: 300) // carol takes the same first item beside bob
        _ = try f.next("two", "dan", lease: 300)
        _ = try f.next("two", "erin", lease: 300)
        #expect(try f.store.leaseWait(queue: "two", reviewer: "alice").leasedByOthers == 2)
        #expect(try f.next("two", "alice") == nil)
        // Expired leases free the items.
        f.clock.advance(301)
        #expect(try f.store.leaseWait(queue: "one", reviewer: "alice").leasedByOthers == 0)
        #expect(f.failure { try f.store.leaseWait(queue: "nope", reviewer: "alice") }?.code == "not_found")
    }
}

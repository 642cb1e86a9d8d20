import Foundation
import GRDB
import Testing
@testable import WinnowKit

/// `review decide` and `review undo` in-process, on a clock moved by hand: the lease, verdict
/// and effect steps of `Store.decide`, and undo's reversal of each effect.
@Suite struct DecideTests {
    // MARK: effect

    @Test func keepDismissesTheFlagsUnderReviewAndDropMarksTheSampleDropped() throws {
        let f = try ReviewFixture()
        try f.flag("s1"); try f.flag("s2")
        try f.flag("s1", DetectorName.pii.rawValue)
        try f.queue("bp", detectors: [DetectorName.boilerplate.rawValue])
        let a = try #require(try f.next("bp", "alice"))
        #expect(a.uid == "s1")
        #expect(a.flags.map(\.underReview) == [true, false] || a.flags.map(\.underReview) == [false, true])
        let kept = try f.decide(a.id, "alice", .keep)
        #expect(kept.state == "applied" && kept.uid == "s1")
        // Only the flag of the queue's detector is settled; the pii flag stays open.
        #expect(try f.text("SELECT status FROM flags WHERE detector = 'boilerplate' AND sample_id = (SELECT id FROM samples WHERE uid = 's1')") == "dismissed")
        #expect(try f.text("SELECT status FROM flags WHERE detector = 'pii'") == "open")
        #expect(try f.count("SELECT count(*) FROM queue_items WHERE resolved_at IS NOT NULL") == 1)

        let b = try #require(try f.next("bp", "alice"))
        #expect(try f.decide(b.id, "alice", .drop).state == "applied")
        #expect(try f.sample("s2").status == "dropped")
        #expect(try f.text("SELECT status FROM flags WHERE sample_id = (SELECT id FROM samples WHERE uid = 's2')") == "confirmed")
        #expect(try f.next("bp", "alice") == nil)
    }

    @Test func relabelAppendsARevisionAndSkipReleasesTheItem() throws {
        let f = try ReviewFixture()
        try f.queue("all")
        let a = try #require(try f.next("all", "alice"))
        let skipped = try f.decide(a.id, "alice", .skip)
        #expect(skipped.state == "released")
        #expect(try f.count("SELECT count(*) FROM leases") == 0)
        #expect(try f.next("all", "alice")?.id != a.id) // not again to the reviewer who skipped it
        let b = try #require(try f.next("all", "bob"))
        #expect(b.id == a.id) // but to the next one
        #expect(try f.decide(b.id, "bob", .relabel, label: "neg").state == "applied")
        #expect(try f.sample(b.uid).label == "neg")
        #expect(try f.text("SELECT origin FROM revisions WHERE id = (SELECT revision_id FROM samples WHERE uid = ?)", [b.uid]) == "relabel")
        let unknown = f.failure { try f.decide(b.id, "carol", .relabel, label: "nope") }
        #expect(unknown?.description.hasPrefix("unknown label 'nope'; labels of text samples: ") == true)
    }

    // MARK: undo

    @Test func undoRevertsEachEffectAndReopensTheItem() throws {
        let f = try ReviewFixture()
        try f.flag("s1")
        try f.queue("all")
        let a = try #require(try f.next("all", "alice"))
        #expect(a.uid == "s1")
        _ = try f.decide(a.id, "alice", .drop)
        let b = try #require(try f.next("all", "alice"))
        _ = try f.decide(b.id, "alice", .relabel, label: "neg")

        let undoRelabel = try f.store.undo(reviewer: "alice")
        #expect(undoRelabel.state == "undone" && undoRelabel.uid == b.uid && undoRelabel.action == "relabel")
        #expect(try f.sample(b.uid).label == "pos")
        #expect(
            try f.text(
                "SELECT group_concat(origin, ',') FROM (SELECT origin FROM revisions WHERE sample_id = (SELECT id FROM samples WHERE uid = ?) ORDER BY id)",
                [b.uid]) == "import,relabel,undo")
        let undoDrop = try f.store.undo(reviewer: "alice")
        #expect(undoDrop.uid == "s1" && undoDrop.action == "drop")
        #expect(try f.sample("s1").status == "active")
        #expect(try f.text("SELECT status FROM flags") == "open")
        #expect(try f.count("SELECT count(*) FROM queue_items WHERE resolved_at IS NOT NULL") == 0)
        #expect(try f.count("SELECT count(*) FROM decisions WHERE undone_at IS NULL") == 0)
        #expect(f.failure { try f.store.undo(reviewer: "alice") }?.description == "alice has no decision to undo")
        // The item is open again: alice may decide it anew.
        let again = try #require(try f.next("all", "alice"))
        #expect(again.id == a.id)
    }

    @Test func undoIsRefusedOnceAnotherDecisionChangedTheSample() throws {
        let f = try ReviewFixture()
        try f.queue("q1"); try f.queue("q2")
        let a = try #require(try f.next("q1", "alice"))
        _ = try f.decide(a.id, "alice", .relabel, label: "neg")
        let b = try #require(try f.next("q2", "bob"))
        #expect(b.uid == a.uid)
        _ = try f.decide(b.id, "bob", .relabel, label: "pos")
        let refused = f.failure { try f.store.undo(reviewer: "alice") }
        #expect(
            refused?.description.hasPrefix("cannot undo alice's relabel of \(a.uid) (decision 1): bob's relabel to 'pos' at ") == true,
            "\(String(describing: refused))")
        #expect(refused?.description.contains("(queue q2, decision 2) changed it since; nothing was undone — undo that first") == true)
    }

    // MARK: lease

    @Test func leasesExpireAndALostLeaseIsRefused() throws {
        let f = try ReviewFixture()
        let t0 = f.clock.now
        try f.queue("q")
        let a = try #require(try f.next("q", "alice", lease: 1))
        let b = try #require(try f.next("q", "bob"))
        #expect(b.id != a.id) // invisible to others while leased
        #expect(try f.next("q", "alice", lease: 1)?.id == a.id) // the same item again for its holder
        f.clock.advance(1.3)
        let c = try #require(try f.next("q", "carol"))
        #expect(c.id == a.id) // expired: back in the queue
        let late = f.failure { try f.decide(a.id, "alice", .keep) }
        #expect(late == .leaseLost("lease lost: your lease on item \(a.id) expired and carol has it now; nothing was recorded — take the next item with `winnow review next`"))
        #expect(late?.code == "lease_lost" && late?.exitCode == 1)
        let other = f.failure { try f.decide(b.id, "carol", .keep) }
        let bobUntil = Timestamp.string(t0.addingTimeInterval(60))
        #expect(other == .alreadyExists("item \(b.id) is leased to bob until \(bobUntil); take another with `winnow review next`"))
        #expect(try f.decide(a.id, "carol", .keep).state == "applied")
        #expect(try f.count("SELECT count(*) FROM decisions WHERE item_id = ?", [a.id]) == 1)
        // A double submit is one decision.
        let twice = try f.decide(a.id, "carol", .keep)
        #expect(twice.state == "duplicate")
        #expect(try f.count("SELECT count(*) FROM decisions WHERE item_id = ?", [a.id]) == 1)
        // Alice comes back after carol decided: her lease lapsed, the item is carol's.
        let expiredAt = Timestamp.string(t0.addingTimeInterval(1))
        let lost = f.failure { try f.decide(a.id, "alice", .drop) }
        #expect(
            lost
                == .leaseLost(
                    "lease lost: your lease on item \(a.id) expired at \(expiredAt) and carol decided it; nothing was recorded — take the next item with `winnow review next`"))
        #expect(try f.sample(a.uid).status == "active")
    }

    @Test func aLeaseRunsUntilItsEndAndNotASecondLonger() throws {
        let f = try ReviewFixture()
        try f.queue("q")
        let a = try #require(try f.next("q", "alice", lease: 10))
        f.clock.advance(9.5)
        #expect(try f.next("q", "bob")?.id != a.id)
        #expect(try f.store.queueStatus("q").claimed == 2)
        f.clock.advance(0.5)
        #expect(try f.store.queueStatus("q").claimed == 1) // only bob's lease still runs
        #expect(try f.next("q", "carol")?.id == a.id)
    }

    // MARK: verdict

    @Test func overlapNeedsAgreeingReviewersOrAnAdjudicator() throws {
        let f = try ReviewFixture()
        try f.queue("two", overlap: 2)
        let a1 = try #require(try f.next("two", "alice"))
        let b1 = try #require(try f.next("two", "bob"))
        #expect(a1.id == b1.id) // overlap 2: the same item to two reviewers
        let c1 = try #require(try f.next("two", "carol"))
        #expect(c1.id != a1.id) // but not to a third
        #expect(try f.decide(a1.id, "alice", .drop).state == "waiting")
        #expect(try f.sample(a1.uid).status == "active")
        #expect(try f.decide(a1.id, "bob", .drop).state == "applied")
        #expect(try f.sample(a1.uid).status == "dropped")

        // Disagreement on carol's item.
        let item = c1.id
        #expect(try f.decide(item, "carol", .keep).state == "waiting")
        #expect(try f.decide(item, "dave", .drop).state == "disagreement")
        #expect(try f.store.queueStatus("two").disagreements == 1)
        let third = f.failure { try f.decide(item, "erin", .keep) }
        #expect(
            third
                == .disagreement(
                    "item \(item) (\(c1.uid)) has its 2 decisions and they disagree; an adjudicator settles it with `winnow review decide \(item) --reviewer NAME --action … --adjudicate`"
                ))
        #expect(third?.code == "disagreement")
        #expect(try f.decide(item, "erin", .drop, adjudicate: true).state == "applied")
        #expect(try f.sample(c1.uid).status == "dropped")
        let decided = f.failure { try f.decide(item, "frank", .keep) }
        #expect(decided == .alreadyExists("item \(item) (\(c1.uid)) is already decided; undo that decision first to change it"))
        let mine = f.failure { try f.decide(item, "dave", .keep) }
        #expect(mine == .alreadyExists("dave already decided item \(item) (drop); undo it first with `winnow review undo --reviewer dave`"))
    }

    @Test func aVerdictSettlesOnAgreementAtTheOverlapOrOnAdjudication() {
        let keep = Verdict(action: "keep", label: nil, text: nil)
        let drop = Verdict(action: "drop", label: nil, text: nil)
        let toNeg = Verdict(action: "relabel", label: "neg", text: nil)
        let toPos = Verdict(action: "relabel", label: "pos", text: nil)
        #expect(DecisionState.verdict(earlier: [], adding: keep, overlap: 1, adjudicate: false) == .applied)
        #expect(DecisionState.verdict(earlier: [], adding: keep, overlap: 2, adjudicate: false) == .waiting)
        #expect(DecisionState.verdict(earlier: [keep], adding: keep, overlap: 2, adjudicate: false) == .applied)
        #expect(DecisionState.verdict(earlier: [keep], adding: drop, overlap: 2, adjudicate: false) == .disagreement)
        #expect(DecisionState.verdict(earlier: [toNeg], adding: toPos, overlap: 2, adjudicate: false) == .disagreement)
        #expect(DecisionState.verdict(earlier: [toNeg, toNeg], adding: toNeg, overlap: 3, adjudicate: false) == .applied)
        #expect(DecisionState.verdict(earlier: [keep, drop], adding: drop, overlap: 2, adjudicate: true) == .applied)
        #expect(DecisionState.verdict(earlier: [keep], adding: drop, overlap: 3, adjudicate: false) == .waiting)
        // A missing label or text is the empty one.
        #expect(Verdict(action: "keep", label: nil, text: nil) == Verdict(action: "keep", label: "", text: ""))
    }

    // MARK: bulk

    @Test func aBulkDecisionSkipsTheItemsDecideRefuses() throws {
        let f = try ReviewFixture()
        let t0 = f.clock.now
        try f.queue("all")
        let held = try #require(try f.next("all", "bob"))
        var request = BulkRequest(reviewer: "alice", action: .keep)
        request.queue = "all"
        let outcome = try f.store.bulkDecide(request)
        #expect(outcome.decisions == 5)
        #expect(outcome.skipped.map(\.item) == [held.id])
        let until = Timestamp.string(t0.addingTimeInterval(60))
        #expect(outcome.skipped.first?.reason == "item \(held.id) is leased to bob until \(until); take another with `winnow review next`")
        f.clock.advance(61)
        let later = try f.store.bulkDecide(request)
        #expect(later.decisions == 1 && later.skipped.isEmpty)
        let undo = try f.store.undoBulk(try #require(later.bulk), reviewer: "alice")
        #expect(undo.undone == 1 && undo.queue == "all" && undo.action == "keep")
    }
}

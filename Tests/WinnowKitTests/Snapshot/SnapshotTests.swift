import Foundation
import Testing
@testable import WinnowKit

/// Snapshot fingerprints and `snapshot diff`, in-process.
@Suite struct SnapshotTests {
    @Test func theSameMembersGiveTheSameFingerprintWhateverTheOrderTheyCameIn() throws {
        let f = try ReviewFixture()
        let v1 = try f.store.createSnapshot(name: "v1", message: nil, selection: SnapshotSelection())
        let v2 = try f.store.createSnapshot(name: "v2", message: "again", selection: SnapshotSelection())
        #expect(v1.members == 6 && v1.fingerprint.count == 64)
        #expect(v2.fingerprint == v1.fingerprint) // name and message are not members
        let reversed = try ReviewFixture(reversed: true)
        let r1 = try reversed.store.createSnapshot(name: "r1", message: nil, selection: SnapshotSelection())
        #expect(r1.fingerprint == v1.fingerprint) // fingerprinted in uid order, not import order
        #expect(try f.store.verifySnapshot("v1") == (v1.fingerprint, v1.fingerprint, 6))
    }

    @Test func aLabelChangeChangesTheFingerprintAndTheFrozenOneStays() throws {
        let f = try ReviewFixture()
        let v1 = try f.store.createSnapshot(name: "v1", message: nil, selection: SnapshotSelection())
        try f.queue("all")
        let a = try #require(try f.next("all", "alice"))
        _ = try f.decide(a.id, "alice", .relabel, label: "neg")
        let v2 = try f.store.createSnapshot(name: "v2", message: nil, selection: SnapshotSelection())
        #expect(v2.fingerprint != v1.fingerprint)
        #expect(v2.labels == ["pos": 2, "neg": 4] && v1.labels == ["pos": 3, "neg": 3])
        // v1 froze its revisions: its fingerprint recomputes as it was.
        let verified = try f.store.verifySnapshot("v1")
        #expect(verified.recomputed == v1.fingerprint && verified.stored == v1.fingerprint)
        #expect(try f.store.snapshot("v1").labels == ["pos": 3, "neg": 3])
    }

    @Test func aSelectionNarrowsTheMembersAndAnEmptyOneIsRefused() throws {
        let f = try ReviewFixture()
        var pos = SnapshotSelection()
        pos.label = "pos"
        #expect(try f.store.createSnapshot(name: "pos", message: nil, selection: pos).members == 3)
        try f.flag("s1")
        var clean = SnapshotSelection()
        clean.label = "pos"
        clean.excludeFlagged = FlagSelection()
        let made = try f.store.createSnapshot(name: "clean", message: nil, selection: clean)
        #expect(made.members == 2)
        #expect(made.excluded?.excluded == 1 && made.excluded?.byDetector == ["boilerplate": 1])
        try f.flag("s2"); try f.flag("s3")
        let empty = f.failure { try f.store.createSnapshot(name: "none", message: nil, selection: clean) }
        #expect(empty == .emptySnapshot(name: "none", leftOut: 3))
        var typo = SnapshotSelection()
        typo.label = "Pos"
        #expect(f.failure { try f.store.createSnapshot(name: "typo", message: nil, selection: typo) }?.code == "not_found")
    }

    @Test func aDiffMatchesMembersBySample() {
        func member(_ id: Int64, hash: UInt8 = 1, label: String? = "pos", scenes: String = "") -> SnapshotMember {
            SnapshotMember(sampleID: id, uid: "u\(id)", hash: [hash], label: label, scenes: scenes)
        }
        let old = [member(1), member(2), member(3), member(4), member(5)]
        let new = [member(2, hash: 9), member(3, label: "neg"), member(4, scenes: "topic=a"), member(5), member(7), member(6)]
        let diff = SnapshotDiff(from: "a", to: "b", old: old, new: new, limit: 10)
        #expect((diff.added, diff.removed, diff.contentChanged, diff.relabeled, diff.reannotated) == (2, 1, 1, 1, 1))
        #expect(diff.uids?["added"] == ["u6", "u7"]) // sorted
        #expect(diff.uids?["removed"] == ["u1"])
        #expect(diff.uids?["content_changed"] == ["u2"])
        #expect(diff.uids?["relabeled"] == ["u3"])
        #expect(diff.uids?["reannotated"] == ["u4"])
        #expect(SnapshotDiff(from: "a", to: "b", old: old, new: new, limit: 1).uids?["added"] == ["u6"])
        #expect(SnapshotDiff(from: "a", to: "b", old: old, new: new, limit: nil).uids == nil)
        let same = SnapshotDiff(from: "a", to: "a", old: old, new: old, limit: nil)
        #expect((same.added, same.removed, same.contentChanged, same.relabeled, same.reannotated) == (0, 0, 0, 0, 0))
    }

    @Test func aDiffOfTwoSnapshotsSeesDropsAndRelabels() throws {
        let f = try ReviewFixture()
        _ = try f.store.createSnapshot(name: "v1", message: nil, selection: SnapshotSelection())
        try f.queue("all")
        let a = try #require(try f.next("all", "alice"))
        _ = try f.decide(a.id, "alice", .drop)
        let b = try #require(try f.next("all", "alice"))
        _ = try f.decide(b.id, "alice", .relabel, label: "neg")
        _ = try f.store.createSnapshot(name: "v2", message: nil, selection: SnapshotSelection())
        let diff = try f.store.diffSnapshots("v1", "v2", limit: 5)
        #expect((diff.added, diff.removed, diff.contentChanged, diff.relabeled, diff.reannotated) == (0, 1, 0, 1, 0))
        #expect(diff.uids?["removed"] == [a.uid] && diff.uids?["relabeled"] == [b.uid])
    }
}

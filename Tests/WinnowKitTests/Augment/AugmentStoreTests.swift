import Foundation
import GRDB
import Testing
@testable import WinnowKit

/// The store side of `winnow augment`, in-process, with variations given by the tests: counts
/// asked and made, the round-robin over parents, the cap, provenance rows, and skips.
@Suite struct AugmentStoreTests {
    /// Six text samples: n1–n4 in domain news (label ham), f1–f2 in finance (label spam);
    /// targets news 4, finance 6, legal 3.
    final class Fixture {
        let dir = TempDir()
        let store: Store
        init() throws {
            var lines: [String] = []
            for i in 1...4 { lines.append(#"{"id": "n\#(i)", "text": "news story number \#(i)", "label": "ham", "domain": "news"}"#) }
            for i in 1...2 { lines.append(#"{"id": "f\#(i)", "text": "finance note number \#(i)", "label": "spam", "domain": "finance"}"#) }
            let path = dir.write("in.jsonl", lines.joined(separator: "\n") + "\n")
            store = try dir.store()
            var options = ImportOptions()
            options.map = [.scene("domain"): "domain"]
            _ = try Importer(store: store, options: options).importFile(path)
            try store.loadTaxonomy(
                try Taxonomy.parse("dimensions:\n  domain:\n    categories:\n      news: 4\n      finance: 6\n      legal: 3\n", file: "t.yaml"))
        }

        func count(_ sql: String) throws -> Int { try store.read { try Int.fetchOne($0, sql: sql) ?? 0 } }
    }

    /// Appends a word drawn from the generator: a new text every draw.
    static let suffix: AugmentVariation = { content, rng in
        guard case .text(let text) = content else { return (content, []) }
        return (.text(text + " w\(rng.next() % 1_000_000)"), ["insert"])
    }

    static func finance(_ amount: AugmentAmount) -> AugmentRequest {
        AugmentRequest(target: .scene(dimension: "domain", category: "finance"), amount: amount, operations: ["insert"])
    }

    @Test func toTargetMakesWhatCoverageNeedsRoundRobinOverTheParents() throws {
        let f = try Fixture()
        let r = try f.store.augment(Self.finance(.toTarget), variation: Self.suffix)
        // finance: target 6, count 2 → needed 4; two parents → two variants each.
        #expect(r.requested == 4 && r.planned == 4 && r.made == 4 && r.skipped == 0)
        #expect(r.parents == 2 && r.parentsUsed == 2 && r.capacity == 16)
        let perParent = try f.store.read {
            try Int.fetchAll($0, sql: "SELECT count(*) FROM augmented_samples GROUP BY parent_id ORDER BY parent_id")
        }
        #expect(perParent == [2, 2])
        let coverage = try #require(try f.store.coverage(dimension: "domain").first)
        let finance = try #require(coverage.categories.first { $0.category == "finance" })
        #expect(finance.count == 6 && finance.needed == 0 && finance.augmented == 4)
        #expect(coverage.categories.first { $0.category == "news" }?.augmented == 0)
        // Again: nothing more is needed.
        let again = try f.store.augment(Self.finance(.toTarget), variation: Self.suffix)
        #expect(again.requested == 0 && again.made == 0 && again.run == nil)
        #expect(try f.count("SELECT count(*) FROM augment_runs") == 1)
    }

    @Test func eachAugmentedSampleCarriesItsParentsLabelScenesSourceAndProvenance() throws {
        let f = try Fixture()
        var request = Self.finance(.count(3))
        request.seed = 42
        request.rate = 0.2
        let r = try f.store.augment(request, variation: Self.suffix)
        #expect(r.made == 3 && r.samples.count == 3)
        for uid in r.samples {
            let s = try f.store.sample(uid: uid)
            let a = try #require(s.augmentation)
            #expect(uid.hasPrefix(a.parent + "~aug-") && uid.count == a.parent.count + 5 + 8)
            #expect(uid.hasSuffix(String(s.contentHash.prefix(8))))
            #expect(s.origin == .augmented && s.label == "spam" && s.occurrences.isEmpty)
            #expect(s.scenes.map { "\($0.dimension)=\($0.category) \($0.origin)" } == ["domain=finance import"])
            #expect(a.operations == ["insert"] && a.run == r.run && a.seed == 42 && a.rate == 0.2 && a.command == nil)
            #expect(a.target == "scene.domain=finance")
            #expect(s.revisions.map(\.origin) == ["import"])
        }
        let run = try f.store.read { try Row.fetchOne($0, sql: "SELECT * FROM augment_runs") }
        #expect(run?["target"] as String? == "scene.domain=finance" && run?["operations"] as String? == "insert")
        #expect(run?["requested"] as Int? == 3 && run?["made"] as Int? == 3 && run?["skipped"] as Int? == 0 && run?["seed"] as Int? == 42)
        #expect(run?["finished_at"] as String? != nil)
        // Same source as the parent, and no occurrences.
        #expect(
            try f.count("SELECT count(*) FROM augmented_samples x JOIN samples s ON s.id = x.sample_id JOIN samples p ON p.id = x.parent_id WHERE s.source_id = p.source_id") == 3)
        #expect(try f.count("SELECT count(*) FROM occurrences o JOIN augmented_samples x ON x.sample_id = o.sample_id") == 0)
        // scene_counts counted the copies: coverage agrees with a recount.
        #expect(try f.count("SELECT count FROM scene_counts WHERE dimension = 'domain' AND category = 'finance'") == 5)
        #expect(try Store.check(path: f.dir.path("w.db")).ok)
        // Imported vs augmented.
        var only = SampleFilter()
        only.origin = .augmented
        #expect(try f.store.samples(only).count == 3)
        only.origin = .import
        #expect(try f.store.samples(only).count == 6)
        let stats = try f.store.stats()
        #expect(stats.samples.augmented == 3 && stats.labels.first { $0.label == "spam" }?.augmented == 3)
        #expect(stats.labels.first { $0.label == "ham" }?.augmented == 0)
    }

    @Test func theSameSeedGivesTheSameSamplesAndAnotherSeedOthers() throws {
        func uids(_ seed: UInt64) throws -> [String] {
            let f = try Fixture()
            var request = Self.finance(.count(3))
            request.seed = seed
            return try f.store.augment(request, variation: Self.suffix).samples
        }
        #expect(try uids(7) == uids(7))
        #expect(try uids(7) != uids(8))
    }

    @Test func theCapPerParentCountsEarlierRunsAndSaysWhatCouldBeMade() throws {
        let f = try Fixture()
        var request = Self.finance(.count(5))
        request.maxPerParent = 2
        let first = try f.store.augment(request, variation: Self.suffix)
        #expect(first.requested == 5 && first.capacity == 4 && first.planned == 4 && first.made == 4)
        let second = try f.store.augment(request, variation: Self.suffix)
        #expect(second.capacity == 0 && second.planned == 0 && second.made == 0 && second.run == nil)
        request.maxPerParent = 3
        #expect(try f.store.augment(request, variation: Self.suffix).made == 2)
        #expect(Augment.maxPerParent == 8)
    }

    @Test func aCollisionIsRetriedThenSkippedAndCountedAndAnUnchangedTextToo() throws {
        let f = try Fixture()
        // Always the same one-word text: the first draw is stored, every later one collides.
        let same: AugmentVariation = { _, _ in (.text("hello"), ["delete"]) }
        let r = try f.store.augment(Self.finance(.count(3)), variation: same)
        #expect(r.made == 1 && r.skippedDuplicate == 2 && r.skippedUnchanged == 0)
        // A text already stored (another sample's) is a collision too.
        let other: AugmentVariation = { _, _ in (.text("news story number 1"), ["swap"]) }
        let o = try f.store.augment(Self.finance(.count(1)), variation: other)
        #expect(o.made == 0 && o.skippedDuplicate == 1)
        // Whitespace only: the same content once normalised.
        let unchanged: AugmentVariation = { content, _ in
            guard case .text(let t) = content else { return (content, []) }
            return (.text(t + "   "), ["swap"])
        }
        let u = try f.store.augment(Self.finance(.count(2)), variation: unchanged)
        #expect(u.made == 0 && u.skippedUnchanged == 2)
        let runs = try f.store.read { try Row.fetchAll($0, sql: "SELECT made, skipped FROM augment_runs ORDER BY id") }
        // Runs that made nothing are not recorded.
        #expect(o.run == nil && u.run == nil)
        #expect(runs.map { [$0["made"] as Int, $0["skipped"] as Int] } == [[1, 2]])
        #expect(try f.count("SELECT count(*) FROM contents") == 7)
    }

    @Test func aLabelToTargetIsItsGapToTheLargestLabel() throws {
        let f = try Fixture()
        let r = try f.store.augment(AugmentRequest(target: .label("spam"), amount: .toTarget, operations: ["insert"]), variation: Self.suffix)
        #expect(r.requested == 2 && r.made == 2) // ham 4, spam 2
        // Augmented samples are never parents.
        let again = try f.store.augment(AugmentRequest(target: .label("spam"), amount: .count(50), operations: ["insert"]), variation: Self.suffix)
        #expect(again.parents == 2 && again.capacity == 14)
    }

    @Test func aDryRunWritesNothing() throws {
        let f = try Fixture()
        var request = Self.finance(.toTarget)
        request.dryRun = true
        let r = try f.store.augment(request, variation: Self.suffix)
        #expect(r.dryRun && r.planned == 4 && r.parentsUsed == 2 && r.made == 0 && r.run == nil)
        #expect(try f.count("SELECT count(*) FROM samples") == 6 && f.count("SELECT count(*) FROM augment_runs") == 0)
    }

    @Test func badTargetsAreRefusedWithWhatExists() throws {
        let f = try Fixture()
        #expect(throws: WinnowError.self) { try f.store.augment(AugmentRequest(target: .label("nope"), amount: .count(1)), variation: Self.suffix) }
        do {
            _ = try f.store.augment(AugmentRequest(target: .scene(dimension: "domain", category: "legal"), amount: .count(1)), variation: Self.suffix)
            Issue.record("no parents must fail")
        } catch let error as WinnowError {
            #expect(error.description.contains("no parent to augment from") && error.description.contains("scene domain=legal"))
        }
        var rate = Self.finance(.count(1))
        rate.rate = 0
        #expect(throws: WinnowError.self) { try f.store.augment(rate, variation: Self.suffix) }
        rate.rate = 1.5
        #expect(throws: WinnowError.self) { try f.store.augment(rate, variation: Self.suffix) }
        #expect(try f.count("SELECT count(*) FROM augment_runs") == 0)
    }

    @Test func snapshotsAndQueuesSelectByOrigin() throws {
        let f = try Fixture()
        _ = try f.store.augment(Self.finance(.count(3)), variation: Self.suffix)
        var selection = SnapshotSelection()
        #expect(try f.store.createSnapshot(name: "all", message: nil, selection: selection).members == 9)
        selection.excludeAugmented = true
        #expect(try f.store.createSnapshot(name: "real", message: nil, selection: selection).members == 6)
        var queue = QueueSelection()
        queue.origin = .augmented
        #expect(try f.store.createQueue(name: "audit", selection: queue).total == 3)
        // A snapshot's stats count its augmented members as frozen.
        #expect(try f.store.stats(snapshot: "real").samples.augmented == 0)
        #expect(try f.store.stats(snapshot: "all").samples.augmented == 3)
        #expect(try f.store.coverage(dimension: "domain", snapshot: "all").first?.categories.first { $0.category == "finance" }?.augmented == 3)
    }
}

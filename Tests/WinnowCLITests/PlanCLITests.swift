import Foundation
import GRDB
import Testing

/// `winnow plan` through the built binary, on a store small enough to work out by hand.
@Suite struct PlanCLITests {
    /// 14 samples: s01–s10 in domain a labelled pos, s11–s14 in domain b labelled neg, of which
    /// s13 and s14 are augmented (children of s11); targets 10/10/10 for a, b, c.
    func smallStore() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        var lines = ""
        for i in 1...14 {
            let domain = i <= 10 ? "a" : "b"
            lines +=
                #"{"id": "s\#(String(format: "%02d", i))", "text": "sample number \#(i) of \#(domain)", "label": "\#(i <= 10 ? "pos" : "neg")", "domain": "\#(domain)"}"# + "\n"
        }
        let data = dir.write("data.jsonl", lines)
        let taxonomy = dir.write("taxonomy.yaml", "dimensions:\n  domain:\n    categories:\n      a: 10\n      b: 10\n      c: 10\n")
        let imported = try winnow(["import", data, "--map", "scene.domain=domain", "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try winnow(["taxonomy", "load", taxonomy, "--db", db]).status == 0)
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO augment_runs (id, target, operations, rate, seed, requested, made, started_at)
                    VALUES (1, 'scene.domain=b', 'swap', 0.1, 1, 2, 2, '2026-12-01T00:00:00Z');
                    INSERT INTO augmented_samples (sample_id, parent_id, run_id, operations)
                    SELECT s.id, (SELECT id FROM samples WHERE uid = 's11'), 1, '["swap"]' FROM samples s WHERE s.uid IN ('s13', 's14');
                    """)
        }
        try queue.close()
        return (dir, db)
    }

    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
    }

    func close(_ value: Any?, _ expected: Double) -> Bool {
        guard let value = value as? Double else { return false }
        return abs(value - expected) < 1e-9
    }

    @Test func jsonOfTheSmallStore() throws {
        let (dir, db) = try smallStore()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["plan", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try json(run)
        #expect(doc["max_per_parent"] as? Int == 8)
        #expect(doc["strategy"] as? String == "over")
        #expect(doc["snapshot"] is NSNull)
        let subjects = try #require(doc["subjects"] as? [[String: Any]])
        #expect(subjects.map { $0["of"] as? String } == ["scene.domain", "labels"])

        let domain = subjects[0]
        #expect(domain["against"] as? String == "taxonomy")
        #expect(domain["targets"] as? String == "taxonomy")
        let rows = try #require(domain["categories"] as? [[String: Any]])
        #expect(rows.map { $0["category"] as? String } == ["a", "b", "c"])
        #expect(rows.map { $0["count"] as? Int } == [10, 4, 0])
        #expect(rows.map { $0["needed"] as? Int } == [0, 6, 10])
        #expect(rows.map { $0["parents"] as? Int } == [10, 2, 0]) // s13, s14 are augmented
        #expect(rows.map { $0["augmented"] as? Int } == [0, 2, 0])
        #expect(rows.map { $0["capacity"] as? Int } == [80, 14, 0]) // s11 gave 2 of its 8
        #expect(rows.map { $0["augmentable"] as? Int } == [0, 6, 0])
        #expect(rows.map { $0["new_data"] as? Int } == [0, 0, 10])
        #expect(rows.map { $0["resampled"] as? Int } == [10, 10, 0])
        #expect(rows[1]["resample_factor"] as? Double == 2.5)
        #expect(rows[2]["resample_factor"] is NSNull)
        let now = try #require(domain["now"] as? [String: Any])
        #expect(close(now["sample_coverage"], 1.4 / 3))
        #expect(close(now["kl_pq"], 5.0 / 7 * log2(15.0 / 7) + 2.0 / 7 * log2(6.0 / 7)))
        let augmented = try #require(domain["after_augment"] as? [String: Any])
        #expect(close(augmented["sample_coverage"], 2.0 / 3))
        #expect(close(augmented["kl_pq"], log2(1.5)))
        #expect(augmented["samples"] as? Int == 20)
        for key in ["after_resample", "after_both", "shortfalls", "totals", "unannotated", "notes"] { #expect(domain[key] != nil, "\(key)") }
        #expect(domain["commands"] as? [String] == ["winnow augment --scene domain=b --to-target"])

        // Labels: uniform Q, targets 10/10 (the total 20 at which pos keeps its 10).
        let labels = subjects[1]
        #expect(labels["against"] as? String == "uniform")
        #expect(labels["targets"] as? String == "reference")
        let labelRows = try #require(labels["categories"] as? [[String: Any]])
        #expect(labelRows.map { $0["category"] as? String } == ["neg", "pos"])
        #expect(labelRows.map { $0["target"] as? Int } == [10, 10])
        #expect(labelRows.map { $0["parents"] as? Int } == [2, 10])
        #expect(labelRows.map { $0["augmentable"] as? Int } == [6, 0])
        #expect(close((labels["after_augment"] as? [String: Any])?["js"], 0))
        #expect(labels["commands"] as? [String] == ["winnow augment --label neg --to-target"])
    }

    @Test func theHumanScreen() throws {
        let (dir, db) = try smallStore()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["plan", "--of", "scene.domain", "--max-per-parent", "2", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // b's 2 parents may give 2 × 2, less the 2 that s11 already gave: 2 of its 6; 4 are new data.
        #expect(
            Array(lines.prefix(7)) == [
                "scene.domain · targets: taxonomy · Q: taxonomy · up to 2 per parent · resampling: over",
                "category  count  augmented  target  needed  parents  augmentable  new data      Q  factor  resampled  aug+resampled",
                "────────  ─────  ─────────  ──────  ──────  ───────  ───────────  ────────  ─────  ──────  ─────────  ─────────────",
                "a            10          0      10       0       10            0         0  0.333    1.00         10             10",
                "b             4          2      10       6        2            2         4  0.333    2.50         10             10",
                "c             0          0      10      10        0            0        10  0.333                  0              0",
                "total        14          2              16                     2        14                        20             20",
            ])
        // Now 10/4/0: (1 + 0.4)/3, KL 0.7218, JS 0.2191; augmented 10/6/0: (1 + 0.6)/3,
        // KL (5/8)·log2(15/8) + (3/8)·log2(9/8) = 0.6305; resampled over to 10/10/0: log2 1.5.
        #expect(
            Array(lines[8..<14]) == [
                "stage               samples  sample coverage  KL(P‖Q)      JS",
                "──────────────────  ───────  ───────────────  ───────  ──────",
                "now                      14            0.467   0.7218  0.2191",
                "after augmentation       16            0.533   0.6305  0.2001",
                "after resampling         20            0.667   0.5850  0.1909",
                "after both               20            0.667   0.5850  0.1909",
            ])
        #expect(
            Array(lines[14...]) == [
                "",
                "next:",
                "  winnow augment --scene domain=b --count 2 --max-per-parent 2",
                "  winnow snapshot create NEXT",
                "  winnow export NEXT --out DIR --resample scene.domain",
                "note: new data to collect: b 4 (beyond 2 per parent), c 10 (no parents)",
                "note: augmented samples made before count against the cap of 2 per parent: b has room for 2 (2 × 2 − 2)",
                "note: after augmentation, resampling: 'c' has no samples to copy, so it stays at 0 of the 10 Q asks for (import or augment samples of it)",
                "", "",
            ])

        let csv = try winnow(["plan", "--csv", "--of", "labels", "--db", db])
        #expect(
            csv.stdout
                == "of,category,count,augmented,target,needed,parents,capacity,augmentable,new_data,q,resample_factor,resampled,resampled_after_augment\n"
                + "labels,neg,4,2,10,6,2,14,6,0,0.5000,2.5000,10,10\nlabels,pos,10,0,10,0,10,80,0,0,0.5000,1.0000,10,10\n")
    }

    @Test func overASnapshotAndAgainstAFile() throws {
        let (dir, db) = try smallStore()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        // A later import does not move v1's figures.
        let more = dir.write("more.jsonl", #"{"id": "s15", "text": "one more of c", "label": "pos", "domain": "c"}"# + "\n")
        #expect(try winnow(["import", more, "--map", "scene.domain=domain", "--db", db]).status == 0)
        let frozen = try json(try winnow(["plan", "--snapshot", "v1", "--of", "scene.domain", "--json", "--db", db]))
        #expect(frozen["snapshot"] as? String == "v1")
        let rows = try #require((frozen["subjects"] as? [[String: Any]])?.first?["categories"] as? [[String: Any]])
        #expect(rows.map { $0["count"] as? Int } == [10, 4, 0])
        // Parents are the live store's: c now has one.
        #expect(rows.map { $0["parents"] as? Int } == [10, 2, 1])
        #expect(rows.map { $0["augmentable"] as? Int } == [0, 6, 8])
        let human = try winnow(["plan", "--snapshot", "v1", "--of", "scene.domain", "--db", db])
        #expect(human.stdout.hasPrefix("snapshot v1\nscene.domain · "))

        // Q from a file, as distribution --against reads it: a 3:1 mix of pos and neg.
        let mix = dir.write("mix.json", #"{"pos": 3, "neg": 1}"#)
        let labels = try json(try winnow(["plan", "--of", "labels", "--to", mix, "--json", "--db", db]))
        let subject = try #require((labels["subjects"] as? [[String: Any]])?.first)
        #expect(subject["against"] as? String == mix)
        let labelRows = try #require(subject["categories"] as? [[String: Any]])
        // neg 4 at Q 1/4 sets the total, 16: targets 4 and 12, so pos (11 live) needs 1.
        #expect(labelRows.map { $0["target"] as? Int } == [4, 12])
        #expect(labelRows.map { $0["needed"] as? Int } == [0, 1])
        #expect(labelRows.map { $0["augmentable"] as? Int } == [0, 1])
        let distribution = try json(try winnow(["distribution", "--of", "labels", "--against", mix, "--json", "--db", db]))
        #expect(close((subject["now"] as? [String: Any])?["js"], distribution["js"] as? Double ?? -1))
    }

    /// The loop on the demo corpus: the command plan suggests for travel (6 of 20) is a real
    /// command, and once run, plan shows the gap closed and the parents' room used.
    @Test func theSuggestedAugmentClosesTheGap() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--map", "scene.domain=domain", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["taxonomy", "load", repoRoot + "/demo/taxonomy.yaml", "--db", db]).status == 0)
        func travel() throws -> (row: [String: Any], commands: [String]) {
            let doc = try json(try winnow(["plan", "--of", "scene.domain", "--json", "--db", db]))
            let subject = try #require((doc["subjects"] as? [[String: Any]])?.first)
            let rows = try #require(subject["categories"] as? [[String: Any]])
            return (try #require(rows.first { $0["category"] as? String == "travel" }), subject["commands"] as? [String] ?? [])
        }
        let before = try travel()
        #expect(before.row["needed"] as? Int == 14)
        #expect(before.row["capacity"] as? Int == 48)
        #expect(before.row["augmentable"] as? Int == 14)
        let command = try #require(before.commands.first { $0.contains("domain=travel") })
        #expect(command == "winnow augment --scene domain=travel --to-target")
        let run = try winnow(Array(command.split(separator: " ").dropFirst().map(String.init)) + ["--ops", "swap,delete", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let after = try travel()
        #expect(after.row["count"] as? Int == 20)
        #expect(after.row["augmented"] as? Int == 14)
        #expect(after.row["needed"] as? Int == 0)
        #expect(after.row["parents"] as? Int == 6)
        #expect(after.row["capacity"] as? Int == 34) // 6 × 8 − 14
        #expect(!after.commands.contains { $0.contains("domain=travel") })
    }

    /// Against a Q that is not uniform, the label commands plan suggests, run in the order
    /// printed, ask augment for the plan's augmentable each and leave each label at the plan's
    /// count + augmentable (demo: negative 33 + 87, neutral 18 + 42, positive 60), less what
    /// augment skipped (a short review the operations leave unchanged).
    @Test func theSuggestedLabelCommandsRunInOrderGiveThePlansCounts() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        let q = dir.write("q.json", #"{"negative": 0.5, "neutral": 0.25, "positive": 0.25}"#)
        func labels() throws -> (rows: [[String: Any]], commands: [String]) {
            let doc = try json(try winnow(["plan", "--of", "labels", "--to", q, "--json", "--db", db]))
            let subject = try #require((doc["subjects"] as? [[String: Any]])?.first)
            return (try #require(subject["categories"] as? [[String: Any]]), subject["commands"] as? [String] ?? [])
        }
        let before = try labels()
        #expect(before.rows.map { $0["category"] as? String } == ["negative", "neutral", "positive"])
        #expect(before.rows.map { $0["augmentable"] as? Int } == [87, 42, 0])
        let planned = before.rows.map { ($0["count"] as? Int ?? 0) + ($0["augmentable"] as? Int ?? 0) }
        #expect(planned == [120, 60, 60])
        let augments = before.commands.filter { $0.hasPrefix("winnow augment ") }
        #expect(augments == ["winnow augment --label negative --count 87", "winnow augment --label neutral --count 42"])
        var made = [0, 0, 0]
        for (i, command) in augments.enumerated() {
            let run = try winnow(Array(command.split(separator: " ").dropFirst().map(String.init)) + ["--ops", "swap,delete", "--json", "--db", db])
            #expect(run.status == 0, "\(run.stderr)")
            let doc = try json(run)
            #expect(doc["requested"] as? Int == before.rows[i]["augmentable"] as? Int)
            made[i] = doc["made"] as? Int ?? 0
            #expect(made[i] + (doc["skipped"] as? Int ?? -1) == doc["requested"] as? Int)
        }
        let after = try labels()
        #expect(after.rows.map { $0["count"] as? Int } == zip(before.rows, made).map { ($0["count"] as? Int ?? 0) + $1 })
        #expect(after.rows.map { $0["augmented"] as? Int } == made)
    }

    /// Over `--snapshot NAME`, the suggested `snapshot create NEXT` repeats NAME's selection
    /// (here `--source`): run as printed, NEXT holds NAME's 14 samples, not the store's 15.
    @Test func theSuggestedSnapshotKeepsTheSnapshotsSelection() throws {
        let (dir, db) = try smallStore()
        defer { withExtendedLifetime(dir) {} }
        let more = dir.write("more.jsonl", #"{"id": "s15", "text": "one more of a", "label": "pos", "domain": "a"}"# + "\n")
        #expect(try winnow(["import", more, "--map", "scene.domain=domain", "--db", db]).status == 0)
        #expect(try winnow(["snapshot", "create", "v1", "--source", "data.jsonl", "--db", db]).status == 0)
        let doc = try json(try winnow(["plan", "--snapshot", "v1", "--of", "scene.domain", "--max-per-parent", "2", "--json", "--db", db]))
        let subject = try #require((doc["subjects"] as? [[String: Any]])?.first)
        #expect((subject["totals"] as? [String: Any])?["count"] as? Int == 14)
        let commands = subject["commands"] as? [String] ?? []
        #expect(commands.contains("winnow snapshot create NEXT --source data.jsonl"), "\(commands)")
        let create = try #require(commands.first { $0.hasPrefix("winnow snapshot create ") })
        let run = try winnow(Array(create.split(separator: " ").dropFirst().map(String.init)) + ["--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try json(run)["members"] as? Int == 14)
    }

    /// An empty store with a taxonomy: 0 samples have no divergence to Q — "-" on the screen,
    /// null in --json — rather than KL 0 (which reads as a perfect match) and JS 0.5.
    @Test func anEmptyStoreHasNoDivergence() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["init", "--db", db]).status == 0)
        let taxonomy = dir.write("taxonomy.yaml", "dimensions:\n  domain:\n    categories:\n      a: 3\n      b: 1\n")
        #expect(try winnow(["taxonomy", "load", taxonomy, "--db", db]).status == 0)
        let run = try winnow(["plan", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let now = try #require(lines.first { $0.hasPrefix("now ") })
        #expect(now.split(separator: " ").map(String.init) == ["now", "0", "0.000", "-", "-"])
        #expect(!run.stdout.contains("0.5000"))
        let doc = try json(try winnow(["plan", "--json", "--db", db]))
        let subject = try #require((doc["subjects"] as? [[String: Any]])?.first)
        for stage in ["now", "after_augment", "after_resample", "after_both"] {
            let effect = try #require(subject[stage] as? [String: Any], "\(stage)")
            #expect(effect["samples"] as? Int == 0)
            for key in ["kl_pq", "kl_qp", "js"] { #expect(effect[key] is NSNull, "\(stage).\(key)") }
        }
    }

    @Test func errorsSayWhatToDo() throws {
        let (dir, db) = try smallStore()
        defer { withExtendedLifetime(dir) {} }
        let unknown = try winnow(["plan", "--snapshot", "nope", "--db", db])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no snapshot 'nope'"))
        let dimension = try winnow(["plan", "--of", "scene.nope", "--db", db])
        #expect(dimension.status == 1)
        #expect(dimension.stderr.contains("no dimension 'nope'"))
        let taxonomy = try winnow(["plan", "--of", "labels", "--to", "taxonomy", "--db", db])
        #expect(taxonomy.status == 1)
        #expect(taxonomy.stderr.contains("--to taxonomy: the taxonomy sets targets for scene dimensions, not labels"))
        let noOf = try winnow(["plan", "--to", "mix.json", "--db", db])
        #expect(noOf.status == 64)
        #expect(noOf.stderr.contains("--to needs --of"))
        let badFile = try winnow(["plan", "--of", "labels", "--to", dir.file("absent.json"), "--db", db])
        #expect(badFile.status == 1)
        #expect(badFile.stderr.contains("cannot read the reference file"))
        let strategy = try winnow(["plan", "--strategy", "sideways", "--db", db])
        #expect(strategy.status == 64)

        let empty = dir.file("empty.db")
        #expect(try winnow(["init", "--db", empty]).status == 0)
        let nothing = try winnow(["plan", "--db", empty])
        #expect(nothing.status == 1)
        #expect(nothing.stderr.contains("nothing to plan"))
        #expect(nothing.stderr.contains("winnow taxonomy load FILE"))
        let asJSON = try json(try winnow(["plan", "--json", "--db", empty]))
        #expect((asJSON["error"] as? [String: Any])?["code"] as? String == "invalid_argument")
    }
}

import Foundation
import Testing

/// `coverage`, `distribution` and `stats` over a snapshot (`--snapshot NAME`,
/// `--against snapshot:NAME`) through the built binary: the snapshot's figures, not the live ones.
@Suite struct SnapshotMetricsCLITests {
    /// A small store with a history, figures worked out by hand:
    ///
    /// | uid | v1 (label, domain, words) | v2                    | live (after v2)       |
    /// |-----|---------------------------|-----------------------|-----------------------|
    /// | a1  | pos, news, 2 (1 open flag)| pos, tech, 2          | pos, tech, 2          |
    /// | a2  | pos, news, 3              | pos, news, 4 (edited) | pos, fiction, 4       |
    /// | a3  | neg, tech, 1              | pos, tech, 1          | pos, tech, 1          |
    /// | a4  | neg, fiction, 2           | — (dropped)           | — (dropped)           |
    /// | b1  | —                         | neg, fiction, 3       | neg, fiction, 3       |
    /// | b2  | —                         | pos, none, 1          | pos, none, 1          |
    ///
    /// Taxonomy: labels [neg, pos]; domain targets news 2, tech 1, fiction 4, equal weights.
    func store() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        func run(_ arguments: [String]) throws {
            let r = try winnow(arguments + ["--db", db])
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
        }
        func item(_ uid: String, _ queue: String) throws -> String {
            let id = try query(
                db,
                """
                SELECT qi.id FROM queue_items qi JOIN samples s ON s.id = qi.sample_id JOIN queues q ON q.id = qi.queue_id
                WHERE s.uid = '\(uid)' AND q.name = '\(queue)'
                """)
            return "\(try #require(id))"
        }
        let first = dir.file("a.jsonl")
        try """
        {"id": "a1", "text": "alpha one", "label": "pos", "domain": "news"}
        {"id": "a2", "text": "alpha two words", "label": "pos", "domain": "news"}
        {"id": "a3", "text": "beta", "label": "neg", "domain": "tech"}
        {"id": "a4", "text": "gamma delta", "label": "neg", "domain": "fiction"}
        {"id": "a5", "text": "alpha one", "label": "neg", "domain": "news"}

        """.write(toFile: first, atomically: true, encoding: .utf8) // a5 repeats a1 with another label: a flag
        let taxonomy = dir.file("t.yaml")
        try """
        labels: [neg, pos]
        dimensions:
          domain:
            categories:
              news: {target: 2}
              tech: {target: 1}
              fiction: {target: 4}

        """.write(toFile: taxonomy, atomically: true, encoding: .utf8)
        try run(["import", first, "--map", "scene.domain=domain"])
        try run(["taxonomy", "load", taxonomy])
        try run(["snapshot", "create", "v1"])

        // Review everything: keep a1 (dismisses its flag), edit a2, relabel a3, drop a4.
        try run(["queue", "create", "all", "--priority", "oldest"])
        try run(["review", "decide", try item("a1", "all"), "--reviewer", "r", "--action", "keep"])
        try run(["review", "decide", try item("a2", "all"), "--reviewer", "r", "--action", "edit", "--text", "completely new text here"])
        try run(["review", "decide", try item("a3", "all"), "--reviewer", "r", "--action", "relabel", "--label", "pos"])
        try run(["review", "decide", try item("a4", "all"), "--reviewer", "r", "--action", "drop"])
        let scenes = dir.file("s.csv")
        try "uid,dimension,category\na1,domain,tech\n".write(toFile: scenes, atomically: true, encoding: .utf8)
        try run(["annotate", "--from", scenes])
        let more = dir.file("b.jsonl")
        try """
        {"id": "b1", "text": "epsilon zeta eta", "label": "neg", "domain": "fiction"}
        {"id": "b2", "text": "theta", "label": "pos"}

        """.write(toFile: more, atomically: true, encoding: .utf8)
        try run(["import", more, "--map", "scene.domain=domain"])
        try run(["snapshot", "create", "v2"])

        // After v2: one more queue and decision, and a2 re-annotated.
        try run(["queue", "create", "late", "--label", "neg"])
        try run(["review", "decide", try item("b1", "late"), "--reviewer", "r", "--action", "keep"])
        try "uid,dimension,category\na2,domain,fiction\n".write(toFile: scenes, atomically: true, encoding: .utf8)
        try run(["annotate", "--from", scenes])
        return (dir, db)
    }

    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
    }

    func close(_ a: Any?, _ b: Double) -> Bool {
        guard let a = a as? Double else { return false }
        return abs(a - b) < 1e-9
    }

    /// The domain coverage of `coverage --json` with these arguments.
    func domain(_ db: String, _ arguments: [String] = []) throws -> [String: Any] {
        let doc = try json(try winnow(["coverage", "--json", "--db", db] + arguments))
        return try #require((doc["dimensions"] as? [[String: Any]])?.first)
    }

    @Test func coverageAndStatsOverASnapshotAreItsFiguresNotTheLiveOnes() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }

        // Coverage. v1: news 2, tech 1, fiction 1 → fills 1, 1, 0.25.
        let v1 = try domain(db, ["--snapshot", "v1"])
        #expect(close(v1["scene_coverage"], 1))
        #expect(close(v1["sample_coverage"], (1 + 1 + 0.25) / 3))
        #expect(close(v1["covered_fill"], (1 + 1 + 0.25) / 3))
        #expect(v1["unannotated"] as? Int == 0)
        let v1Categories = try #require(v1["categories"] as? [[String: Any]])
        #expect(v1Categories.map { $0["category"] as? String } == ["news", "tech", "fiction"])
        #expect(v1Categories.map { $0["count"] as? Int } == [2, 1, 1])
        #expect(v1Categories.map { $0["status"] as? String } == ["ok", "ok", "under"])
        #expect(v1Categories.map { $0["needed"] as? Int } == [0, 0, 3])
        // v2: a1 moved to tech, a4 gone, b2 without a domain → news 1, tech 2, fiction 1.
        let v2 = try domain(db, ["--snapshot", "v2"])
        #expect(close(v2["sample_coverage"], (0.5 + 1 + 0.25) / 3))
        #expect(close(v2["covered_fill"], (0.5 + 2 + 0.25) / 3))
        #expect(v2["unannotated"] as? Int == 1)
        #expect((v2["categories"] as? [[String: Any]])?.map { $0["count"] as? Int } == [1, 2, 1])
        #expect((v2["categories"] as? [[String: Any]])?.map { $0["status"] as? String } == ["under", "over", "under"])
        // Live: a2 moved to fiction after v2 → news 0, tech 2, fiction 2.
        let live = try domain(db)
        #expect(close(live["scene_coverage"], 2.0 / 3))
        #expect(close(live["sample_coverage"], (0 + 1 + 0.5) / 3))
        #expect(close(live["covered_fill"], (2 + 0.5) / 2))
        #expect(live["unannotated"] as? Int == 1)
        #expect((live["categories"] as? [[String: Any]])?.map { $0["count"] as? Int } == [0, 2, 2])
        #expect((live["categories"] as? [[String: Any]])?.map { $0["status"] as? String } == ["missing", "over", "under"])
        let human = try winnow(["coverage", "--snapshot", "v1", "--db", db])
        #expect(human.stdout.hasPrefix("snapshot v1\ndomain: scene coverage 1.000 · sample coverage 0.750 · covered fill 0.750 · unannotated 0\n"))
        let csv = try winnow(["coverage", "--snapshot", "v1", "--csv", "--db", db])
        #expect(
            csv.stdout
                == "dimension,category,count,target,fill,weight,status,needed\ndomain,news,2,2,1.000,0.333,ok,0\ndomain,tech,1,1,1.000,0.333,ok,0\ndomain,fiction,1,4,0.250,0.333,under,3\n"
        )

        // Stats. v1: labels neg 2 (a3, a4), pos 2; words 2, 3, 1, 2; 8 words, 7 distinct.
        let s1 = try json(try winnow(["stats", "--snapshot", "v1", "--json", "--db", db]))
        #expect(s1["samples"] as? [String: Int] == ["total": 4, "active": 4, "dropped": 0, "augmented": 0])
        let labels1 = try #require(s1["labels"] as? [[String: Any]])
        #expect(labels1.map { $0["label"] as? String } == ["neg", "pos"])
        #expect(labels1.map { $0["count"] as? Int } == [2, 2])
        #expect(labels1.map { $0["weight_inverse"] as? Double } == [2, 2])
        #expect(close(s1["imbalance_ratio"], 1))
        let lengths1 = try #require((s1["lengths"] as? [String: Any])?["all"] as? [String: Any])
        #expect(lengths1["samples"] as? Int == 4)
        #expect(close(lengths1["mean"], 2))
        #expect([lengths1["p50"], lengths1["p95"], lengths1["max"]].map { $0 as? Int } == [2, 3, 3])
        let diversity1 = try #require(s1["diversity"] as? [String: Any])
        #expect(close(diversity1["distinct_1"], 7.0 / 8))
        #expect(close(diversity1["distinct_2"], 1))
        #expect(close((diversity1["labels"] as? [String: Any])?["entropy"], 1))
        #expect(close(((diversity1["scenes"] as? [String: Any])?["domain"] as? [String: Any])?["entropy"], 1.5))
        let flags1 = try #require(s1["flags"] as? [String: Any])
        #expect([flags1["total"], flags1["open"], flags1["confirmed"], flags1["dismissed"]].map { $0 as? Int } == [1, 1, 0, 0])
        #expect(flags1["by_detector"] as? [String: Int] == ["label-conflict": 1])
        #expect(s1["review"] as? [String: Int] == ["queues": 0, "items": 0, "decisions": 0, "decided_samples": 0])

        // v2: labels neg 1 (b1), pos 4; words 2, 4, 1, 3, 1; its review: queue "all" on a1–a3.
        let s2 = try json(try winnow(["stats", "--snapshot", "v2", "--json", "--db", db]))
        #expect(s2["samples"] as? [String: Int] == ["total": 5, "active": 5, "dropped": 0, "augmented": 0])
        #expect((s2["labels"] as? [[String: Any]])?.map { $0["count"] as? Int } == [1, 4])
        #expect(close(s2["imbalance_ratio"], 4))
        let lengths2 = try #require((s2["lengths"] as? [String: Any])?["all"] as? [String: Any])
        #expect(close(lengths2["mean"], 11.0 / 5))
        #expect([lengths2["p50"], lengths2["p95"], lengths2["max"]].map { $0 as? Int } == [2, 4, 4])
        #expect((s2["flags"] as? [String: Any])?["dismissed"] as? Int == 1)
        #expect(s2["review"] as? [String: Int] == ["queues": 1, "items": 3, "decisions": 3, "decided_samples": 3])

        // Live: 6 samples, a4 dropped; the late queue and decision count.
        let sLive = try json(try winnow(["stats", "--json", "--db", db]))
        #expect(sLive["samples"] as? [String: Int] == ["total": 6, "active": 5, "dropped": 1, "augmented": 0])
        #expect((sLive["labels"] as? [[String: Any]])?.map { $0["count"] as? Int } == [1, 4])
        #expect(sLive["review"] as? [String: Int] == ["queues": 2, "items": 5, "decisions": 5, "decided_samples": 5])
        #expect((sLive["flags"] as? [String: Any])?["open"] as? Int == 0)
        let humanStats = try winnow(["stats", "--snapshot", "v1", "--db", db])
        #expect(humanStats.stdout.hasPrefix("snapshot v1\nsamples: 4 total, 4 active, 0 dropped\n"))
    }

    @Test func distributionOverAndAgainstSnapshots() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        func kl(_ p: [Double], _ q: [Double]) -> Double {
            zip(p, q).reduce(0) { $0 + ($1.0 > 0 ? $1.0 * log2($1.0 / $1.1) : 0) }
        }
        func js(_ p: [Double], _ q: [Double]) -> Double {
            let m = zip(p, q).map { ($0 + $1) / 2 }
            return kl(p, m) / 2 + kl(q, m) / 2
        }

        // Labels of v1 (2, 2) against uniform; live (1, 4) against uniform.
        let v1 = try json(try winnow(["distribution", "--of", "labels", "--snapshot", "v1", "--json", "--db", db]))
        #expect(v1["against"] as? String == "uniform")
        #expect((v1["categories"] as? [[String: Any]])?.map { $0["count"] as? Int } == [2, 2])
        #expect(close(v1["kl_pq"], 0))
        let live = try json(try winnow(["distribution", "--of", "labels", "--json", "--db", db]))
        #expect((live["categories"] as? [[String: Any]])?.map { $0["count"] as? Int } == [1, 4])
        #expect(close(live["kl_pq"], kl([0.2, 0.8], [0.5, 0.5])))

        // A snapshot against itself: no divergence.
        let same = try json(try winnow(["distribution", "--of", "labels", "--snapshot", "v1", "--against", "snapshot:v1", "--json", "--db", db]))
        #expect(same["against"] as? String == "snapshot:v1")
        #expect(close(same["js"], 0))
        #expect(close(same["kl_pq"], 0))
        #expect(close(same["kl_qp"], 0))

        // v2 (1, 4) against v1 (2, 2).
        let labels = try json(try winnow(["distribution", "--of", "labels", "--snapshot", "v2", "--against", "snapshot:v1", "--json", "--db", db]))
        #expect(labels["of"] as? String == "labels")
        #expect(close(labels["kl_pq"], 0.2 * log2(0.2 / 0.5) + 0.8 * log2(0.8 / 0.5)))
        #expect(close(labels["kl_qp"], 0.5 * log2(0.5 / 0.2) + 0.5 * log2(0.5 / 0.8)))
        #expect(close(labels["js"], js([0.2, 0.8], [0.5, 0.5])))
        let rows = try #require(labels["categories"] as? [[String: Any]])
        #expect(rows.map { $0["category"] as? String } == ["neg", "pos"])
        #expect(rows.map { $0["count"] as? Int } == [1, 4])
        #expect(rows.map { $0["q"] as? Double } == [0.5, 0.5])
        #expect(close(rows[0]["factor"], 2.5))
        #expect(rows.map { $0["target_count"] as? Int } == [3, 3]) // 2.5 rounds up, half of 5 each

        // Scenes: v2 (news 1, tech 2, fiction 1) against v1 (2, 1, 1).
        let scene = try json(try winnow(["distribution", "--of", "scene.domain", "--snapshot", "v2", "--against", "snapshot:v1", "--json", "--db", db]))
        #expect((scene["categories"] as? [[String: Any]])?.map { $0["count"] as? Int } == [1, 2, 1])
        #expect(close(scene["kl_pq"], 0.25))
        #expect(close(scene["kl_qp"], 0.25))
        #expect(close(scene["js"], js([0.25, 0.5, 0.25], [0.5, 0.25, 0.25])))
        #expect(scene["smoothed"] as? [String] == [])
        // Live (0, 2, 2) against v1: news is 0 in P, so KL(Q‖P) is smoothed there.
        let liveScene = try json(try winnow(["distribution", "--of", "scene.domain", "--against", "snapshot:v1", "--json", "--db", db]))
        #expect((liveScene["categories"] as? [[String: Any]])?.map { $0["count"] as? Int } == [0, 2, 2])
        #expect(close(liveScene["kl_pq"], 1))
        #expect(close(liveScene["js"], js([0, 0.5, 0.5], [0.5, 0.25, 0.25])))
        #expect(liveScene["smoothed"] as? [String] == ["news"])
        let human = try winnow(["distribution", "--of", "labels", "--snapshot", "v2", "--against", "snapshot:v1", "--db", db])
        #expect(human.stdout.hasPrefix("labels of snapshot v2 against snapshot:v1: KL(P‖Q) " + String(format: "%.4f", 0.2 * log2(0.4) + 0.8 * log2(1.6)) + " bits"))
    }

    @Test func anUnknownSnapshotIsRefusedNamingTheSnapshots() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        for arguments in [
            ["coverage", "--snapshot", "v3"], ["stats", "--snapshot", "v3", "--json"],
            ["distribution", "--of", "labels", "--snapshot", "v3"],
            ["distribution", "--of", "labels", "--against", "snapshot:v3"],
        ] {
            let run = try winnow(arguments + ["--db", db])
            #expect(run.status == 1, "\(arguments)")
            // With --json the error is also a document on stdout (JSONErrorCLITests).
            #expect(arguments.contains("--json") ? run.stdout.contains("\"message\" : \"no snapshot 'v3'; snapshots: v1, v2\"") : run.stdout == "", "\(arguments)")
            #expect(run.stderr == "error: no snapshot 'v3'; snapshots: v1, v2\n", "\(arguments)")
        }
        let fresh = TempDir()
        #expect(try winnow(["init", "--db", fresh.file("w.db")]).status == 0)
        let none = try winnow(["coverage", "--snapshot", "v1", "--db", fresh.file("w.db")])
        #expect(none.status == 1)
        #expect(none.stderr == "error: no snapshot 'v1'; snapshots: none (make one with `winnow snapshot create NAME`)\n")
    }
}

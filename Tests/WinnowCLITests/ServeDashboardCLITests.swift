import Foundation
import Testing

/// The dashboards over real HTTP, the built binary serving the demo store: every JSON twin
/// equals the `--json` of the CLI command that computes the same figures, on the same store,
/// and every page shows the CLI's figures.
@Suite(.serialized) struct ServeDashboardCLITests {
    func json(_ text: String, _ what: String) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary, "\(what): \(text.prefix(300))")
    }

    /// `winnow ARGS --json` on `db`, parsed.
    func cli(_ arguments: [String], _ db: String) throws -> NSDictionary {
        let run = try winnow(arguments + ["--json", "--db", db])
        #expect(run.status == 0, "\(arguments): \(run.stderr)")
        return try json(run.stdout, arguments.joined(separator: " "))
    }

    /// The demo reviews with their domains and the demo taxonomy; three detectors; queue
    /// `noisy` (overlap 2) with alice and bob agreeing on items 1 and 3 and not on 2;
    /// snapshot "first cut", then rev-001 relabelled and rev-002 dropped, snapshot v2.
    func demoStore() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        func run(_ arguments: [String]) throws {
            let r = try winnow(arguments + ["--db", db])
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
        }
        try run(["import", repoRoot + "/demo/reviews.jsonl", "--map", "scene.domain=domain", "--on-error", "skip"])
        try run(["taxonomy", "load", repoRoot + "/demo/taxonomy.yaml"])
        try run(["detect", "boilerplate", "near-duplicate", "empty"])
        try run(["queue", "create", "noisy", "--detector", "boilerplate", "--detector", "near-duplicate", "--overlap", "2", "--priority", "oldest"])
        for (item, reviewer, action) in [(1, "alice", "drop"), (1, "bob", "drop"), (2, "alice", "keep"), (2, "bob", "drop"), (3, "alice", "keep"), (3, "bob", "keep")] {
            try run(["review", "decide", String(item), "--reviewer", reviewer, "--action", action])
        }
        try run(["snapshot", "create", "first cut", "-m", "before the fixes"])
        try run(["queue", "create", "fix", "--priority", "oldest"])
        let fix = "SELECT qi.id FROM queue_items qi JOIN queues q ON q.id = qi.queue_id JOIN samples s ON s.id = qi.sample_id WHERE q.name = 'fix' AND s.uid = ?"
        let relabel = try #require(try query(db, fix.replacingOccurrences(of: "?", with: "'rev-001'")))
        let drop = try #require(try query(db, fix.replacingOccurrences(of: "?", with: "'rev-002'")))
        try run(["review", "decide", String(relabel), "--reviewer", "alice", "--action", "relabel", "--label", "positive"])
        try run(["review", "decide", String(drop), "--reviewer", "alice", "--action", "drop"])
        try run(["snapshot", "create", "v2"])
        return (dir, db)
    }

    @Test func everyDashboardShowsTheCLIsFiguresAndItsTwinIsTheCLIsJSON() throws {
        let (dir, db) = try demoStore()
        let (server, port, token) = try startServe(db: db, in: dir)
        defer { if server.isRunning { server.terminate() } }
        let signIn = try LoopbackHTTP.postForm(port: port, path: "/signin", fields: [("token", token), ("reviewer", "alice")])
        let cookie = try #require(signIn.cookie)
        func get(_ path: String) throws -> (status: Int, text: String) {
            let r = try LoopbackHTTP.send(port: port, path: path, headers: ["Cookie": cookie])
            if path.hasPrefix("/api/") { #expect(r.headers["content-type"] == "application/json; charset=utf-8", "\(path)") }
            #expect(r.headers["content-security-policy"]?.hasPrefix("default-src 'self'") == true, "\(path)")
            return (r.status, r.text)
        }
        func api(_ path: String) throws -> NSDictionary {
            let r = try get(path)
            #expect(r.status == 200, "\(path): \(r.text)")
            return try json(r.text, path)
        }
        func page(_ path: String) throws -> String {
            let r = try get(path)
            #expect(r.status == 200, "\(path): \(r.text.prefix(300))")
            #expect(r.text.contains("<svg class=\"chart\"") || path.hasSuffix("/dashboard"), "\(path): no chart")
            #expect(!r.text.contains(" style="), "\(path): an inline style")
            return r.text
        }
        func d3(_ value: Any?) -> String { (value as? Double).map { String(format: "%.3f", $0) } ?? "-" }

        // Coverage: `winnow coverage --json`.
        let coverage = try cli(["coverage"], db)
        #expect(try api("/api/dashboard/coverage") == coverage)
        let coveragePage = try page("/dashboard/coverage")
        for dimension in coverage["dimensions"] as? [NSDictionary] ?? [] {
            #expect(
                coveragePage.contains("scene coverage <strong>\(d3(dimension["scene_coverage"]))</strong> · sample coverage <strong>\(d3(dimension["sample_coverage"]))</strong>"))
            for category in dimension["categories"] as? [NSDictionary] ?? [] {
                let name = category["category"] as? String ?? ""
                #expect(coveragePage.contains("<tr><td>\(name)</td><td>\(category["count"] as? Int ?? -1)</td><td>\(category["target"] as? Int ?? -1)</td>"), "\(name)")
            }
        }
        #expect(coveragePage.contains("<td>health</td><td>0</td><td>10</td><td>0.00</td><td>0.14</td><td><strong class=\"gap\">missing</strong></td><td>10</td>"))

        // Distributions: `winnow distribution --of labels --json` and `--of scene.domain`, each default reference.
        let labels = try cli(["distribution", "--of", "labels"], db)
        let domain = try cli(["distribution", "--of", "scene.domain"], db)
        #expect(try api("/api/dashboard/distribution?of=labels") == labels)
        #expect(try api("/api/dashboard/distribution?of=scene.domain") == domain)
        #expect((try api("/api/dashboard/distribution"))["distributions"] as? [NSDictionary] == [labels, domain])
        let distributionPage = try page("/dashboard/distribution")
        for report in [labels, domain] {
            let heading = "<h2>\(report["of"] as? String ?? "") against \(report["against"] as? String ?? "")</h2>"
            let figures =
                "KL(P‖Q) <strong>\(String(format: "%.4f", report["kl_pq"] as? Double ?? -1))</strong> bits · KL(Q‖P) <strong>\(String(format: "%.4f", report["kl_qp"] as? Double ?? -1))</strong> bits · JS <strong>\(String(format: "%.4f", report["js"] as? Double ?? -1))</strong> bits"
            #expect(distributionPage.contains(heading + "<p class=\"figures\">" + figures), "\(heading)")
        }

        // Flags: `winnow flags summary --json`; precision as the CLI's table prints it.
        let flags = try cli(["flags", "summary"], db)
        #expect(try api("/api/dashboard/flags") == flags)
        let flagsPage = try page("/dashboard/flags")
        for row in flags["detectors"] as? [NSDictionary] ?? [] {
            let precision = (row["precision"] as? Double).map { String(format: "%.2f", $0) } ?? "-"
            let cells = [row["open"], row["confirmed"], row["dismissed"]].map { "<td>\($0 as? Int ?? -1)</td>" }.joined()
            #expect(flagsPage.contains("<tr><td>\(row["detector"] as? String ?? "")</td>\(cells)<td>\(precision)</td></tr>"), "\(row)")
        }
        #expect(flagsPage.contains("<tr><td>boilerplate</td><td>1</td><td>1</td><td>0</td><td>1.00</td></tr>"))

        // Review progress: `winnow queue list --json`; agreement: `winnow review agreement noisy --json`.
        let queues = try cli(["queue", "list"], db)
        #expect(try api("/api/dashboard/progress") == queues)
        let progressPage = try page("/dashboard/progress")
        for q in queues["queues"] as? [NSDictionary] ?? [] {
            let name = q["queue"] as? String ?? ""
            let cells = ["items", "pending", "claimed", "decided", "disagreements", "overlap"].map { "<td>\(q[$0] as? Int ?? -1)</td>" }.joined()
            #expect(progressPage.contains("<tr><td><a href=\"/queues/\(name)/progress\">\(name)</a></td>\(cells)</tr>"), "\(name)")
        }
        let agreement = try cli(["review", "agreement", "noisy"], db)
        #expect(try api("/api/queues/noisy/agreement") == agreement)
        let queuePage = try page("/queues/noisy/progress")
        #expect(queuePage.contains("raw agreement <strong>\(d3(agreement["raw_agreement"]))</strong> · Cohen's kappa <strong>\(d3(agreement["cohen_kappa"]))</strong>"))
        #expect(d3(agreement["cohen_kappa"]) == "0.400")
        #expect(queuePage.contains("alice: keep; bob: drop"))

        // Snapshots: `winnow snapshot list --json`, and a diff chosen with the form (a GET
        // query, where a space arrives as '+'): `winnow snapshot diff "first cut" v2 --limit 20 --json`.
        let snapshots = try cli(["snapshot", "list"], db)
        #expect(try api("/api/dashboard/snapshots") == snapshots)
        let diff = try cli(["snapshot", "diff", "first cut", "v2", "--limit", "20"], db)
        #expect(try api("/api/dashboard/snapshots/diff?from=first+cut&to=v2&limit=20") == diff)
        #expect(diff["relabeled"] as? Int == 1 && diff["removed"] as? Int == 1)
        let snapshotsPage = try page("/dashboard/snapshots?from=first+cut&to=v2")
        let counts = ["added", "removed", "content_changed", "relabeled", "reannotated"].map { diff[$0] as? Int ?? -1 }
        #expect(
            snapshotsPage.contains(
                "first cut → v2: <strong>\(counts[0])</strong> added, <strong>\(counts[1])</strong> removed, <strong>\(counts[2])</strong> content changed, <strong>\(counts[3])</strong> relabeled, <strong>\(counts[4])</strong> re-annotated"
            ))
        #expect(snapshotsPage.contains("<strong>relabeled</strong>: <span class=\"uid\">rev-001</span>"))
        #expect(snapshotsPage.contains("<option value=\"first cut\" selected>first cut</option>"))
        for s in snapshots["snapshots"] as? [NSDictionary] ?? [] {
            #expect(snapshotsPage.contains("<tr><td>\(s["name"] as? String ?? "")</td><td>\(s["members"] as? Int ?? -1)</td>"))
        }
        let index = try page("/dashboard")
        #expect(index.contains("<a href=\"/dashboard/snapshots\">Snapshots</a>"))
        // Without a session: 401 and nothing else.
        let denied = try LoopbackHTTP.send(port: port, path: "/api/dashboard/coverage")
        #expect(denied.status == 401 && denied.body.isEmpty)
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }
}

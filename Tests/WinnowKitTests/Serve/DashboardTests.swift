import Foundation
import GRDB
import Testing
@testable import WinnowKit
@testable import WinnowServe

/// The dashboards' handlers, in process: each page's figures against hand-computed ones and
/// against the library call the CLI makes, hostile names escaped in the SVG, and a clear
/// sentence for an empty store. (The figures against the CLI's `--json` through real HTTP are
/// in ServeDashboardCLITests.)
@Suite struct DashboardTests {
    /// ServeFixture's six samples (s1…s3 pos, s4…s6 neg) with a taxonomy of one dimension,
    /// domain: books (target 2), films (target 2), music (target 1); s1 and s2 are books, s3
    /// films, s4…s6 unannotated.
    func fixture() throws -> ServeFixture {
        let f = try ServeFixture()
        let yaml = """
            labels: [pos, neg]
            dimensions:
              domain:
                categories:
                  books: {target: 2}
                  films: {target: 2}
                  music: {target: 1}
            """
        try f.review.store.loadTaxonomy(try Taxonomy.parse(yaml, file: "t.yaml"))
        _ = try f.review.store.annotate(
            [
                (1, SceneAssignment(uid: "s1", dimension: "domain", category: "books")),
                (2, SceneAssignment(uid: "s2", dimension: "domain", category: "books")),
                (3, SceneAssignment(uid: "s3", dimension: "domain", category: "films")),
            ], origin: "file", file: "scenes.csv")
        return f
    }

    func json(_ response: ServeResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any], "\(response.status) \(response.text)")
    }

    /// `value` encoded as the CLI's `--json` encodes it, parsed back: what the API must equal.
    func cliDocument<T: Encodable>(_ value: T) throws -> NSDictionary {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try #require(try JSONSerialization.jsonObject(with: try encoder.encode(value)) as? NSDictionary)
    }

    /// Markup a page must never carry, whatever the data: inline style (blocked by the CSP),
    /// a script other than app.js, an image (whose handlers could run), a live `javascript:`
    /// link, a bidi control.
    func expectSafe(_ page: String, _ what: String) {
        #expect(!page.contains(" style="), "\(what): a style attribute")
        #expect(!page.contains("<style"), "\(what): a style element")
        #expect(page.components(separatedBy: "<script").count - 1 == (page.contains("/assets/app.js") ? 1 : 0), "\(what): an inline script")
        #expect(!page.contains("<img"), "\(what): an image element")
        #expect(!page.contains("href=\"javascript:"), "\(what): a javascript: link")
        #expect(!page.unicodeScalars.contains { HTML.bidiControls.contains($0.value) }, "\(what): a bidi control")
    }

    @Test func theDashboardsNeedASession() throws {
        let f = try fixture()
        try f.review.queue("q")
        for path in [
            "/dashboard", "/dashboard/coverage", "/dashboard/distribution", "/dashboard/flags", "/dashboard/progress", "/dashboard/snapshots",
            "/queues/q/progress", "/api/dashboard/coverage", "/api/dashboard/distribution", "/api/dashboard/flags", "/api/dashboard/progress",
            "/api/dashboard/snapshots", "/api/queues/q/agreement",
        ] {
            let response = f.get(path)
            #expect(response.status == 401, "\(path)")
            #expect(response.body.isEmpty, "\(path)")
        }
    }

    @Test func coverageShowsEachCategoryAgainstItsTargetWithTheGapsHighlighted() throws {
        let f = try fixture()
        let (cookie, _) = try f.signIn("alice")
        let page = f.get("/dashboard/coverage", cookie: cookie)
        #expect(page.status == 200)
        let text = page.text
        expectSafe(text, "coverage")
        // Hand-computed: covered 2 of 3; sample coverage (1 + 0.5 + 0) / 3; covered fill (1 + 0.5) / 2; s4…s6 unannotated.
        #expect(
            text.contains("scene coverage <strong>0.667</strong> · sample coverage <strong>0.500</strong> · covered fill <strong>0.750</strong> · unannotated <strong>3</strong>"))
        #expect(text.contains("<td>books</td><td>2</td><td>2</td><td>1.00</td><td>0.33</td><td>ok</td><td>0</td>"))
        #expect(text.contains("<td>films</td><td>1</td><td>2</td><td>0.50</td><td>0.33</td><td><strong class=\"gap\">under</strong></td><td>1</td>"))
        #expect(text.contains("<td>music</td><td>0</td><td>1</td><td>0.00</td><td>0.33</td><td><strong class=\"gap\">missing</strong></td><td>1</td>"))
        // The SVG: a bar per category, a target mark per category, the two gaps' rows highlighted.
        #expect(text.contains("<svg class=\"chart\""))
        #expect(text.components(separatedBy: "class=\"gap\" x=").count - 1 == 2)
        #expect(text.components(separatedBy: ": target ").count - 1 == 3)
        // Scale 2 (the largest of counts and targets): films' target mark at 200 + 2/2 · 340, its bar half that.
        #expect(text.contains("<line x1=\"540.0\" y1=\"31.0\" x2=\"540.0\""))
        #expect(text.contains("<rect x=\"200.0\" y=\"34.0\" width=\"170.0\" height=\"16.0\" fill=\"#ef6c00\"><title>films: 1 of target 2 · under</title></rect>"))
        #expect(text.contains("1 / 2 · under · needs 1"))

        // The JSON twin is `coverage --json`'s document, from the same call.
        let api = f.get("/api/dashboard/coverage", cookie: cookie)
        #expect(api.status == 200)
        #expect(try JSONSerialization.jsonObject(with: api.body) as? NSDictionary == cliDocument(Dashboard.CoverageDocument(dimensions: try f.review.store.coverage())))
        let dims = try #require(try json(api)["dimensions"] as? [[String: Any]])
        #expect(dims.map { $0["dimension"] as? String } == ["domain"])
        #expect(abs((dims[0]["sample_coverage"] as? Double ?? 0) - 0.5) < 1e-12)
    }

    @Test func distributionsCompareWithTheCLIsDefaultReferenceWithKLAndJS() throws {
        let f = try fixture()
        let (cookie, _) = try f.signIn("alice")
        let page = f.get("/dashboard/distribution", cookie: cookie)
        #expect(page.status == 200)
        let text = page.text
        expectSafe(text, "distribution")
        // Labels: 3 pos, 3 neg against uniform: no divergence.
        #expect(text.contains("<h2>labels against uniform</h2>"))
        #expect(text.contains("KL(P‖Q) <strong>0.0000</strong> bits · KL(Q‖P) <strong>0.0000</strong> bits · JS <strong>0.0000</strong> bits"))
        // Domain: P = (2/3, 1/3, 0) against the targets (2, 2, 1) / 5.
        let p = [2.0 / 3, 1.0 / 3, 0], q = [0.4, 0.4, 0.2]
        var kl = 0.0
        for i in 0..<3 where p[i] > 0 { kl += p[i] * log2(p[i] / q[i]) }
        let m = zip(p, q).map { ($0 + $1) / 2 }
        var js = 0.0
        for i in 0..<3 {
            if p[i] > 0 { js += 0.5 * p[i] * log2(p[i] / m[i]) }
            if q[i] > 0 { js += 0.5 * q[i] * log2(q[i] / m[i]) }
        }
        #expect(text.contains("<h2>scene.domain against taxonomy</h2>"))
        #expect(text.contains("KL(P‖Q) <strong>\(String(format: "%.4f", kl))</strong> bits"), "\(kl)")
        #expect(text.contains("JS <strong>\(String(format: "%.4f", js))</strong> bits"), "\(js)")
        #expect(text.contains("<td>films</td><td>1</td><td>0.3333</td><td>0.4000</td><td>1.200</td>"))
        // Each bar pair: P scaled to the largest probability (2/3 → the full 340).
        #expect(text.contains("<rect x=\"200.0\" y=\"9.0\" width=\"340.0\" height=\"8.0\" fill=\"#1565c0\"><title>books: P 0.667 (2 samples)</title></rect>"))

        // The twin: one `distribution --json` document per subject, from the same calls.
        let api = try json(f.get("/api/dashboard/distribution", cookie: cookie))
        let reports = try #require(api["distributions"] as? [NSDictionary])
        let store = f.review.store
        #expect(reports.count == 2)
        #expect(reports[0] == (try cliDocument(try store.distribution(of: .labels, against: nil))))
        #expect(reports[1] == (try cliDocument(try store.distribution(of: .scene("domain"), against: nil))))
        #expect(abs((reports[1]["kl_pq"] as? Double ?? 0) - kl) < 1e-9)
        #expect((api["unavailable"] as? [Any])?.isEmpty == true)
        // One subject, as `distribution --of scene.domain --against uniform --json`.
        let one = f.get("/api/dashboard/distribution", query: ["of": "scene.domain", "against": "uniform"], cookie: cookie)
        #expect(try JSONSerialization.jsonObject(with: one.body) as? NSDictionary == cliDocument(try store.distribution(of: .scene("domain"), against: "uniform")))
        // A file or corpus reference is the CLI's: the server opens no path it is given.
        let file = f.get("/api/dashboard/distribution", query: ["of": "labels", "against": "/etc/passwd"], cookie: cookie)
        #expect(file.status == 400)
        #expect(
            try json(file)["error"] as? [String: String] == [
                "code": "invalid_argument",
                "message":
                    "against=/etc/passwd: the web review compares with uniform, taxonomy or snapshot:NAME; a reference file or corpus is read by the CLI (`winnow distribution --against FILE`)",
            ])
        #expect(f.get("/api/dashboard/distribution", query: ["of": "labels", "against": "corpus:/etc/hosts"], cookie: cookie).status == 400)
        let bad = f.get("/api/dashboard/distribution", query: ["of": "nope"], cookie: cookie)
        #expect(bad.status == 400)
        #expect(bad.text.contains("expected labels or scene.DIM"))
    }

    @Test func aDimensionWithoutTargetsAndAStoreWithoutLabelsSaySoInASentence() throws {
        let f = try ServeFixture()
        try f.review.store.loadTaxonomy(try Taxonomy.parse("dimensions:\n  tone:\n    categories:\n      calm: {}\n      angry: {}\n", file: "t.yaml"))
        let (cookie, _) = try f.signIn("alice")
        let page = f.get("/dashboard/distribution", cookie: cookie)
        #expect(page.status == 200)
        #expect(
            page.text.contains(
                "<h2>scene.tone</h2><p class=\"empty\">dimension &#39;tone&#39; has no targets in the taxonomy; set targets with `winnow taxonomy load`, or pass --against FILE</p>"
            ))
        let api = try json(f.get("/api/dashboard/distribution", cookie: cookie))
        #expect((api["unavailable"] as? [[String: String]])?.first?["of"] == "scene.tone")
    }

    @Test func anEmptyStoreGivesASentenceOnEveryPage() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
        let app = ServeApp(store: store, signInToken: ServeFixture.token)
        let cookie = try ServeFixture.cookie(to: app)
        func get(_ path: String, _ query: [String: String] = [:]) -> ServeResponse {
            app.handle(ServeRequest(method: "GET", path: path, query: query, headers: ["Cookie": cookie]))
        }
        let sentences = [
            "/dashboard/coverage": "No dimensions yet: load a taxonomy",
            "/dashboard/distribution": "<h2>labels</h2><p class=\"empty\">no labelled samples to measure</p>",
            "/dashboard/flags": "No flags yet: run <code>winnow detect</code>.",
            "/dashboard/progress": "No queues yet: make one with <code>winnow queue create NAME</code>.",
            "/dashboard/snapshots": "No snapshots yet: make one with <code>winnow snapshot create NAME</code>.",
            "/dashboard": "<a href=\"/dashboard/coverage\">Coverage</a>",
        ]
        for (path, sentence) in sentences {
            let page = get(path)
            #expect(page.status == 200, "\(path)")
            #expect(page.text.contains(sentence), "\(path): \(page.text)")
            #expect(page.text.contains("<a href=\"/dashboard\">dashboards</a>"), "\(path): the header links the dashboards")
        }
        // The JSON twins are the CLI's empty documents.
        #expect(get("/api/dashboard/coverage").text == "{\"dimensions\":[]}\n")
        #expect(get("/api/dashboard/flags").text == "{\"detectors\":[]}\n")
        #expect(get("/api/dashboard/progress").text == "{\"queues\":[]}\n")
        #expect(get("/api/dashboard/snapshots").text == "{\"snapshots\":[]}\n")
        // Unknown names and pages: the library's message, the matching status.
        let queue = get("/queues/nope/progress")
        #expect(queue.status == 404)
        #expect(queue.text.contains("no queue &#39;nope&#39;; queues: none (create one with `winnow queue create NAME`)"))
        let diff = get("/api/dashboard/snapshots/diff", ["from": "a", "to": "b"])
        #expect(diff.status == 404)
        #expect(get("/api/dashboard/snapshots/diff").status == 400)
        #expect(get("/dashboard/coverage", ["snapshot": "v9"]).status == 404)
        #expect(get("/dashboard/nowhere").status == 404)
        #expect(get("/api/dashboard/nowhere").status == 404)
    }

    @Test func flagsPerDetectorWithTheirMeasuredPrecision() throws {
        let f = try fixture()
        for uid in ["s1", "s2", "s3"] { try f.review.flag(uid, "boilerplate") }
        try f.review.flag("s4", "pii")
        try f.review.queue("flagged", detectors: ["boilerplate"])
        // alice confirms s1's flag (drop) and dismisses s2's (keep); s3's stays open.
        for action in [DecisionAction.drop, .keep] {
            let item = try #require(try f.review.next("flagged", "alice"))
            _ = try f.review.decide(item.id, "alice", action)
        }
        let (cookie, _) = try f.signIn("alice")
        let page = f.get("/dashboard/flags", cookie: cookie)
        #expect(page.status == 200)
        expectSafe(page.text, "flags")
        #expect(page.text.contains("<tr><td>boilerplate</td><td>1</td><td>1</td><td>1</td><td>0.50</td></tr>"))
        #expect(page.text.contains("<tr><td>pii</td><td>1</td><td>0</td><td>0</td><td>-</td></tr>"))
        #expect(page.text.contains("precision 0.50"))
        #expect(page.text.contains("<title>boilerplate: 1 confirmed</title>"))
        let api = f.get("/api/dashboard/flags", cookie: cookie)
        #expect(try JSONSerialization.jsonObject(with: api.body) as? NSDictionary == cliDocument(Dashboard.FlagsDocument(detectors: try f.review.store.flagSummary())))
        let rows = try #require(try json(api)["detectors"] as? [[String: Any]])
        #expect(rows.first { $0["detector"] as? String == "boilerplate" }?["precision"] as? Double == 0.5)
    }

    @Test func progressPerQueueAndTheQueuePagesAgreement() throws {
        let f = try fixture()
        try f.review.queue("pair", overlap: 2)
        try f.review.queue("solo")
        // Four items rated by both: alice keep keep drop drop, bob keep drop drop drop.
        // Raw agreement 3/4; Cohen: p_e = .5·.25 + .5·.75 = .5, kappa (.75 − .5) / .5 = .5.
        var uids: [String] = []
        for (alice, bob) in [(DecisionAction.keep, DecisionAction.keep), (.keep, .drop), (.drop, .drop), (.drop, .drop)] {
            let a = try #require(try f.review.next("pair", "alice"))
            _ = try f.review.decide(a.id, "alice", alice)
            let b = try #require(try f.review.next("pair", "bob"))
            #expect(b.id == a.id)
            _ = try f.review.decide(b.id, "bob", bob)
            uids.append(a.uid)
        }
        _ = try f.review.next("pair", "carol") // one item claimed
        let (cookie, _) = try f.signIn("alice")
        let status = try f.review.store.queueStatus("pair")
        #expect((status.items, status.decided, status.disagreements, status.claimed, status.pending) == (6, 3, 1, 1, 1))

        let progress = f.get("/dashboard/progress", cookie: cookie)
        #expect(progress.status == 200)
        expectSafe(progress.text, "progress")
        #expect(progress.text.contains("<tr><td><a href=\"/queues/pair/progress\">pair</a></td><td>6</td><td>1</td><td>1</td><td>3</td><td>1</td><td>2</td></tr>"))
        // A bar is its queue's items: 3 of 6 decided is half the width.
        #expect(progress.text.contains("<rect x=\"200.0\" y=\"10.0\" width=\"170.0\" height=\"16.0\" fill=\"#2e7d32\"><title>pair: 3 decided</title></rect>"))
        #expect(progress.text.contains("3 of 6 decided"))
        let twin = f.get("/api/dashboard/progress", cookie: cookie)
        #expect(try JSONSerialization.jsonObject(with: twin.body) as? NSDictionary == cliDocument(Dashboard.ProgressDocument(queues: try f.review.store.queueStatuses())))

        let page = f.get("/queues/pair/progress", cookie: cookie)
        #expect(page.status == 200)
        expectSafe(page.text, "queue page")
        #expect(page.text.contains("4 items rated by two or more of alice, bob · raw agreement <strong>0.750</strong> · Cohen's kappa <strong>0.500</strong> (two reviewers)"))
        #expect(page.text.contains("<td>0.750</td><td>0.500</td><td>-</td>"))
        #expect(page.text.contains("<h2>Disagreements</h2>"))
        #expect(page.text.contains("<td class=\"uid\">\(uids[1])</td><td>alice: keep; bob: drop</td>"))
        #expect(page.text.contains("6 items · <strong>3</strong> decided · 1 pending · 1 claimed · <strong>1</strong> disagreements · overlap 2"))
        let agreement = f.get("/api/queues/pair/agreement", cookie: cookie)
        #expect(try JSONSerialization.jsonObject(with: agreement.body) as? NSDictionary == cliDocument(try f.review.store.agreement(queue: "pair")))
        #expect(try json(agreement)["cohen_kappa"] as? Double == 0.5)
        // A queue nobody rated twice says why there is no agreement.
        let solo = f.get("/queues/solo/progress", cookie: cookie)
        #expect(solo.text.contains("No item has two reviewers' decisions yet, so there is no agreement to measure (the queue's overlap is 1"))
        // The focus view's header links the queue's page.
        #expect(f.get("/queues/solo", cookie: cookie).text.contains("<a href=\"/queues/solo/progress\">progress</a>"))
    }

    @Test func moreThanTwoReviewersGetFleissKappa() throws {
        let f = try fixture()
        try f.review.queue("three", overlap: 3)
        // Two items, three reviewers each: all keep on one, keep keep drop on the other.
        for actions in [[DecisionAction.keep, .keep, .keep], [.keep, .keep, .drop]] {
            var id: Int64?
            for (reviewer, action) in zip(["ana", "ben", "cai"], actions) {
                let item = try #require(try f.review.next("three", reviewer))
                if let id { #expect(item.id == id) }
                id = item.id
                _ = try f.review.decide(item.id, reviewer, action)
            }
        }
        let report = try f.review.store.agreement(queue: "three")
        let fleiss = try #require(report.fleissKappa)
        let (cookie, _) = try f.signIn("ana")
        let page = f.get("/queues/three/progress", cookie: cookie).text
        #expect(page.contains("Fleiss' kappa <strong>\(String(format: "%.3f", fleiss))</strong> (3 reviewers)"))
        #expect(page.contains("raw agreement <strong>\(String(format: "%.3f", try #require(report.rawAgreement)))</strong>"))
    }

    @Test func theSnapshotListAndADiffBetweenTwoChosenSnapshots() throws {
        let f = try fixture()
        let store = f.review.store
        _ = try store.createSnapshot(name: "first cut", message: "all six", selection: SnapshotSelection())
        try f.review.queue("edit")
        while let item = try f.review.next("edit", "alice") {
            switch item.uid {
            case "s1": _ = try f.review.decide(item.id, "alice", .relabel, label: "neg")
            case "s6": _ = try f.review.decide(item.id, "alice", .drop)
            default: _ = try f.review.decide(item.id, "alice", .keep)
            }
        }
        _ = try store.createSnapshot(name: "v2", message: nil, selection: SnapshotSelection())
        let (cookie, _) = try f.signIn("alice")
        // Without a choice: the form at the two newest, no diff computed yet.
        let list = f.get("/dashboard/snapshots", cookie: cookie)
        #expect(list.status == 200)
        #expect(list.text.contains("<option value=\"first cut\" selected>first cut</option>"))
        #expect(list.text.contains("Choose two snapshots and press diff"))
        #expect(!list.text.contains("→"))
        let page = f.get("/dashboard/snapshots", query: ["from": "first cut", "to": "v2"], cookie: cookie)
        #expect(page.status == 200)
        let text = page.text
        expectSafe(text, "snapshots")
        #expect(text.contains("<td>first cut</td><td>6</td>"))
        #expect(text.contains("<td>v2</td><td>5</td>"))
        #expect(text.contains("<select name=\"from\"><option value=\"first cut\" selected>first cut</option><option value=\"v2\">v2</option></select>"))
        #expect(text.contains("<select name=\"to\"><option value=\"first cut\">first cut</option><option value=\"v2\" selected>v2</option></select>"))
        #expect(
            text.contains(
                "first cut → v2: <strong>0</strong> added, <strong>1</strong> removed, <strong>0</strong> content changed, <strong>1</strong> relabeled, <strong>0</strong> re-annotated"
            ))
        #expect(text.contains("<strong>removed</strong>: <span class=\"uid\">s6</span>"))
        #expect(text.contains("<strong>relabeled</strong>: <span class=\"uid\">s1</span>"))
        // Chosen the other way round.
        let back = f.get("/dashboard/snapshots", query: ["from": "v2", "to": "first cut"], cookie: cookie).text
        #expect(back.contains("v2 → first cut: <strong>1</strong> added, <strong>0</strong> removed"))
        // An unknown choice: the library's message, 404, the list still shown.
        let unknown = f.get("/dashboard/snapshots", query: ["from": "v9", "to": "v2"], cookie: cookie)
        #expect(unknown.status == 404)
        #expect(unknown.text.contains("<td>first cut</td>"))
        #expect(unknown.text.contains("v9"))
        // The twins: `snapshot list --json` and `snapshot diff --limit N --json`.
        let listAPI = f.get("/api/dashboard/snapshots", cookie: cookie)
        #expect(try JSONSerialization.jsonObject(with: listAPI.body) as? NSDictionary == cliDocument(Dashboard.SnapshotsDocument(snapshots: try store.snapshots())))
        let diff = f.get("/api/dashboard/snapshots/diff", query: ["from": "first cut", "to": "v2", "limit": "5"], cookie: cookie)
        #expect(try JSONSerialization.jsonObject(with: diff.body) as? NSDictionary == cliDocument(try store.diffSnapshots("first cut", "v2", limit: 5)))
        #expect(f.get("/api/dashboard/snapshots/diff", query: ["from": "first cut", "to": "v2", "limit": "-1"], cookie: cookie).status == 400)
        // Coverage over a snapshot: the chooser offers each, and the figures are the frozen ones.
        let frozen = f.get("/dashboard/coverage", query: ["snapshot": "first cut"], cookie: cookie).text
        #expect(frozen.contains("<option value=\"first cut\" selected>snapshot first cut</option>"))
        #expect(frozen.contains("Over snapshot <strong>first cut</strong>"))
        let frozenAPI = f.get("/api/dashboard/coverage", query: ["snapshot": "first cut"], cookie: cookie)
        #expect(
            try JSONSerialization.jsonObject(with: frozenAPI.body) as? NSDictionary
                == cliDocument(Dashboard.CoverageDocument(dimensions: try store.coverage(snapshot: "first cut"))))
        #expect(try store.snapshotNames() == ["first cut", "v2"])
        // One snapshot only: the list, and why there is no diff.
        let g = try fixture()
        _ = try g.review.store.createSnapshot(name: "only", message: nil, selection: SnapshotSelection())
        let (cookieG, _) = try g.signIn("bob")
        #expect(g.get("/dashboard/snapshots", cookie: cookieG).text.contains("A diff needs two snapshots; there is one so far."))
    }

    @Test func hostileNamesAreTextInTheSVGAndTheTables() throws {
        let f = try ServeFixture()
        let store = f.review.store
        let img = "<img src=x onerror=alert(1)>"
        let lines = [
            #"{"id": "h1", "text": "one hostile sample", "label": "<script>alert(1)</script>"}"#,
            #"{"id": "h2", "text": "another hostile sample", "label": "\u202Elebal"}"#,
            #"{"id": "h3", "text": "a third", "label": "a\"b'c&d"}"#,
        ]
        _ = try Importer(store: store, options: ImportOptions()).importFile(f.review.dir.write("hostile.jsonl", lines.joined(separator: "\n") + "\n"))
        let yaml = """
            dimensions:
              "<b>dim</b>":
                categories:
                  "<img src=x onerror=alert(1)>": {target: 3}
                  "\u{202E}yrogetac": {target: 1}
            """
        try store.loadTaxonomy(try Taxonomy.parse(yaml, file: "t.yaml"))
        _ = try store.annotate([(1, SceneAssignment(uid: "h1", dimension: "<b>dim</b>", category: img))], origin: "file", file: "f.csv")
        try f.review.flag("h1", "<svg onload=alert(1)>")
        try f.review.queue(img)
        // A snapshot name holds no '/' or bidi control (the name rule), but '<', '>' and '&'.
        _ = try store.createSnapshot(name: "<script>alert(1)", message: img, selection: SnapshotSelection())
        _ = try store.createSnapshot(name: "v2 & co", message: nil, selection: SnapshotSelection())
        let (cookie, _) = try f.signIn("alice")
        for path in [
            "/dashboard/coverage", "/dashboard/distribution", "/dashboard/flags", "/dashboard/progress", "/dashboard/snapshots",
            "/queues/\(HTML.pathSegment(img))/progress",
        ] {
            let page = f.get(path, cookie: cookie)
            #expect(page.status == 200, "\(path): \(page.text.prefix(400))")
            let text = page.text
            expectSafe(text, path)
            #expect(!text.contains("<script>alert"), "\(path)")
            #expect(!text.contains("<img src=x"), "\(path)")
            #expect(!text.contains("<svg onload"), "\(path)")
            #expect(!text.contains("<b>dim"), "\(path)")
        }
        let coverage = f.get("/dashboard/coverage", cookie: cookie).text
        #expect(coverage.contains("<h2>&lt;b&gt;dim&lt;/b&gt;</h2>"))
        #expect(coverage.contains("<title>&lt;img src=x onerror=alert(1)&gt;</title>"))
        #expect(coverage.contains("[U+202E]yrogetac"))
        let distribution = f.get("/dashboard/distribution", cookie: cookie).text
        #expect(distribution.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"))
        #expect(distribution.contains("<td>[U+202E]lebal</td>"))
        #expect(distribution.contains("<td>a&quot;b&#39;c&amp;d</td>"))
        // The names' column of the SVG, escaped too.
        #expect(distribution.contains(">&lt;script&gt;alert(1)&lt;/script&gt;</text>"))
        #expect(f.get("/dashboard/flags", cookie: cookie).text.contains("&lt;svg onload=alert(1)&gt;"))
        let snapshots = f.get("/dashboard/snapshots", cookie: cookie).text
        #expect(snapshots.contains("<option value=\"&lt;script&gt;alert(1)\" selected>"))
        #expect(snapshots.contains("<td>v2 &amp; co</td>"))
        let diff = f.get("/dashboard/snapshots", query: ["from": "<script>alert(1)", "to": "v2 & co"], cookie: cookie)
        #expect(diff.status == 200)
        expectSafe(diff.text, "snapshot diff")
        #expect(diff.text.contains("&lt;script&gt;alert(1) → v2 &amp; co: <strong>0</strong> added"))
        #expect(snapshots.contains("<td>&lt;img src=x onerror=alert(1)&gt;</td>")) // the message
        // The JSON twins carry the names as they are (JSON is not markup).
        let api = f.get("/api/dashboard/snapshots", cookie: cookie)
        #expect(api.headers["Content-Type"] == "application/json; charset=utf-8")
        #expect((try json(api)["snapshots"] as? [[String: Any]])?.first?["name"] as? String == "<script>alert(1)")
    }

    @Test func aGetFormsQueryIsDecodedAsAFormAndThePrintedURLKeepsAPlusInTheToken() {
        #expect(ServeRequest.formFields("from=first+cut&to=a%2Bb")["from"] == "first cut")
        #expect(ServeRequest.formFields("from=first+cut&to=a%2Bb")["to"] == "a+b")
        #expect(ReviewServer.url(host: "127.0.0.1", port: 8700, token: "abc+def-0123456789") == "http://127.0.0.1:8700/?token=abc%2Bdef-0123456789")
        #expect(ServeRequest.formFields("token=abc%2Bdef-0123456789")["token"] == "abc+def-0123456789")
    }
}

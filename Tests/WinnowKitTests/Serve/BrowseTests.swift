import Foundation
import GRDB
import Testing
@testable import WinnowKit
@testable import WinnowServe

/// Full-text search (migration 0009's on-demand index), the browse page and its bulk actions.
@Suite struct BrowseTests {
    // MARK: the search language and index

    @Test func whatAUserTypesBecomesQuotedTerms() {
        #expect(FullTextQuery.match("great service") == "\"great\" \"service\"")
        #expect(FullTextQuery.match("  \"the staff\" refund*  ") == "\"the staff\" \"refund\"*")
        // FTS5's operators are words like any other: no input is a syntax error.
        #expect(FullTextQuery.match("a OR b NOT c") == "\"a\" \"OR\" \"b\" \"NOT\" \"c\"")
        #expect(FullTextQuery.match("title:x (y)") == "\"title:x\" \"(y)\"")
        #expect(FullTextQuery.match("\"unclosed phrase") == "\" unclosed\" \"phrase\"")
        #expect(FullTextQuery.match("!!! -- ***") == nil)
        #expect(FullTextQuery.match("") == nil)
    }

    @Test func searchFindsCurrentTextOnlyAndCatchesUpWithNewContents() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
        let first = [
            #"{"id": "a", "text": "The refund arrived within a week", "label": "pos"}"#,
            #"{"id": "b", "text": "No refund, no answer, Café closed", "label": "neg"}"#,
        ]
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("a.jsonl", first.joined(separator: "\n") + "\n"))
        let chat = #"{"id": "c", "messages": [{"role": "user", "content": "How do I reverse a list?"}, {"role": "assistant", "content": "Use slicing."}]}"#
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("c.jsonl", chat + "\n"))
        func uids(_ words: String) throws -> [String] {
            var filter = SampleFilter()
            filter.search = words
            return try store.samples(filter).samples.map(\.uid)
        }
        #expect(try uids("refund") == ["a", "b"])
        #expect(try uids("REFUND week") == ["a"])
        #expect(try uids("\"no answer\"") == ["b"])
        #expect(try uids("cafe") == ["b"]) // accents ignored
        #expect(try uids("refu*") == ["a", "b"])
        #expect(try uids("revers* slicing") == ["c"]) // each message's content
        #expect(try uids("assistant") == []) // roles are not text
        #expect(try store.contentSearchBacklog() == 0)
        // Contents added later are indexed by the next search.
        _ = try Importer(store: store, options: ImportOptions()).importFile(
            dir.write("b.jsonl", #"{"id": "d", "text": "refund again", "label": "neg"}"# + "\n"))
        #expect(try store.contentSearchBacklog() == 1)
        #expect(try uids("refund") == ["a", "b", "d"])
        // An edit replaces the text a search sees; the old text no longer finds the sample.
        var everything = QueueSelection()
        everything.priority = QueuePriority.oldest.rawValue
        _ = try store.createQueue(name: "e", selection: everything)
        let item = try #require(try store.nextItem(queue: "e", reviewer: "ann", leaseSeconds: 60))
        var edit = DecisionRequest(item: item.id, reviewer: "ann", action: .edit)
        edit.text = "A parcel came late"
        _ = try store.decide(edit)
        #expect(try uids("refund") == ["b", "d"])
        #expect(try uids("parcel") == ["a"])
        var bad = SampleFilter()
        bad.search = "!!!"
        #expect(throws: WinnowError.invalidArgument("--search \"!!!\" has no word to search for; give words, \"a phrase\" or a prefix*")) {
            try store.samples(bad)
        }
    }

    @Test func theIndexIsBuiltInChunksThatEachCommit() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
        let lines = (1...45).map { #"{"id": "s\#($0)", "text": "sample \#($0) word\#($0 % 3)"}"# }
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("a.jsonl", lines.joined(separator: "\n") + "\n"))
        var seen: [(Int, Int)] = []
        var marks: [Int64] = []
        let indexed = try store.updateContentSearch(chunk: 20) {
            seen.append(($0, $1))
            // Each chunk is committed when its progress is told: another connection sees its mark.
            let mark = try? store.read { try Int64.fetchOne($0, sql: "SELECT indexed_through FROM content_search_state") }
            marks.append((mark ?? nil) ?? -1)
        }
        #expect(indexed == 45)
        #expect(seen.map(\.0) == [20, 40, 45])
        #expect(seen.allSatisfy { $0.1 == 45 })
        let ids = try store.read { try Int64.fetchAll($0, sql: "SELECT id FROM contents ORDER BY id") }
        #expect(marks == [ids[19], ids[39], ids[44]])
        #expect(try store.updateContentSearch() == 0)
        var filter = SampleFilter()
        filter.search = "word0"
        #expect(try store.samples(filter).count == 15)
    }

    @Test func aScoreRangeSelectsSamplesByTheirOpenFlags() throws {
        let f = try ReviewFixture()
        try f.flag("s1", score: 0.95)
        try f.flag("s2", score: 0.4)
        try f.flag("s3", DetectorName.labelNoise.rawValue, score: 0.7)
        func uids(_ configure: (inout SampleFilter) -> Void) throws -> [String] {
            var filter = SampleFilter()
            configure(&filter)
            return try f.store.samples(filter).samples.map(\.uid)
        }
        #expect(try uids { $0.minScore = 0.5 } == ["s1", "s3"])
        #expect(try uids { $0.maxScore = 0.5 } == ["s2"])
        #expect(
            try uids {
                $0.minScore = 0.3; $0.maxScore = 0.8
            } == ["s2", "s3"])
        #expect(
            try uids {
                $0.flagDetector = DetectorName.boilerplate.rawValue; $0.minScore = 0.5
            } == ["s1"])
        #expect(
            try uids {
                $0.label = "pos"; $0.flagDetector = DetectorName.labelNoise.rawValue
            } == ["s3"])
    }

    /// A second IN list must not become a constraint on the index the first one drives (see
    /// `Store.drives`): at 1M samples a label and a scene together ran for minutes so.
    @Test func aLabelAndASceneDoNotProbeOneIndexWithTwoLists() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
        let lines = (1...20).map { #"{"id": "s\#($0)", "text": "text \#($0)", "label": "\#($0 % 2 == 0 ? "a" : "b")", "domain": "\#($0 % 3 == 0 ? "x" : "y")"}"# }
        var options = ImportOptions()
        options.map = try FieldMapping.parseOverrides(["scene.domain=domain"])
        _ = try Importer(store: store, options: options).importFile(dir.write("a.jsonl", lines.joined(separator: "\n") + "\n"))
        try store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO flags (sample_id, content_id, detector, score, reason, details, status, created_at)
                    SELECT s.id, r.content_id, 'boilerplate', 0.9, 'test', '{}', 'open', '2027-01-01T00:00:00.000Z'
                    FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.uid IN ('s4', 's6', 's12')
                    """)
        }
        var filter = SampleFilter()
        filter.label = "a"
        filter.scene = ("domain", "x")
        filter.flagDetector = DetectorName.boilerplate.rawValue
        filter.search = "text"
        try store.updateContentSearch()
        let plan = try store.read { db -> String in
            let (conditions, arguments) = try filter.conditions(db)
            let rows = try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN SELECT count(*) FROM samples s \(CurrentRevision.join) WHERE " + conditions.joined(separator: " AND "),
                arguments: arguments)
            return try rows.map { try $0.value("detail", as: String.self) }.joined(separator: "\n")
        }
        #expect(!plan.contains("revision_id=? AND rowid=?"), "\(plan)")
        // Label a (even), domain x (a multiple of 3), flagged (s4, s6, s12), with the word.
        #expect(try store.samples(filter).samples.map(\.uid) == ["s6", "s12"])
    }

    // MARK: the page

    @Test func browseCountsPagesAndFilters() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
        let lines = (1...120).map { #"{"id": "s\#(String(format: "%03d", $0))", "text": "row \#($0) \#($0 % 2 == 0 ? "even" : "odd") text", "label": "\#($0 <= 30 ? "a" : "b")"}"# }
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("a.jsonl", lines.joined(separator: "\n") + "\n"))
        let app = ServeApp(store: store, signInToken: ServeFixture.token)
        let cookie = try ServeFixture.cookie(to: app)
        func page(_ query: [String: String]) -> ServeResponse {
            app.handle(ServeRequest(method: "GET", path: "/browse", query: query, headers: ["Cookie": cookie]))
        }
        let all = page([:]).text
        #expect(all.contains("1–50 of <strong>120</strong> matching samples (120 active)"))
        #expect(all.components(separatedBy: "name=\"uid\"").count - 1 == 50)
        #expect(all.contains("href=\"/browse?page=2\" rel=\"next\""))
        let third = page(["page": "3"]).text
        #expect(third.contains("101–120 of <strong>120</strong>"))
        #expect(third.components(separatedBy: "name=\"uid\"").count - 1 == 20)
        let even = page(["q": "even", "label": "b"]).text
        #expect(even.contains("of <strong>45</strong> matching"))
        #expect(even.contains("page 1 of 1</nav>"))
        // The bulk form acts on the selection shown.
        #expect(even.contains("action=\"/browse/bulk?q=even&amp;label=b\""))
        #expect(page(["q": "odd", "page": "2"]).text.contains("href=\"/browse?q=odd\" rel=\"prev\""))
        let wrong = page(["min_score": "lots"])
        #expect(wrong.status == 400)
        #expect(wrong.text.contains("min_score &quot;lots&quot; is not a number"))
        let unknown = page(["label": "c"])
        #expect(unknown.status == 400)
        #expect(unknown.text.contains("unknown label &#39;c&#39;; known: a, b"))
        // The API gives the same page as JSON, with the CLI's sample fields and the open flags.
        let api = try #require(
            try JSONSerialization.jsonObject(
                with: app.handle(ServeRequest(method: "GET", path: "/api/samples", query: ["q": "odd", "page": "2"], headers: ["Cookie": cookie])).body)
                as? [String: Any])
        #expect(api["count"] as? Int == 60)
        #expect(api["active"] as? Int == 60)
        #expect(api["page"] as? Int == 2)
        #expect(api["page_size"] as? Int == 50)
        let rows = try #require(api["samples"] as? [[String: Any]])
        #expect(rows.count == 10)
        #expect(Set(rows[0].keys) == ["uid", "kind", "label", "status", "scenes", "text", "flags"])
    }

    // MARK: bulk

    @Test func bulkOverAllMatchingIsOneUndoableBulkAndRefusesAStaleCount() throws {
        let f = try ServeFixture()
        try f.review.flag("s1", score: 0.95)
        try f.review.flag("s2", score: 0.4)
        let (cookie, csrf) = try f.signIn("alice")
        let page = f.get("/browse", query: ["label": "pos"], cookie: cookie).text
        #expect(page.contains("all <strong>3</strong> active matching samples"))
        // The store moved on since the page was drawn: the count no longer holds, nothing changes.
        _ = try f.review.store.bulkDecide(
            {
                var r = BulkRequest(reviewer: "bob", action: .drop)
                var only = SampleFilter()
                only.uids = ["s3"]
                r.samples = only
                return r
            }())
        let stale = f.post(
            "/browse/bulk", query: ["label": "pos"], form: ["csrf": csrf, "scope": "all", "expected": "3", "action": "drop"], cookie: cookie)
        #expect(stale.status == 303)
        #expect(f.get("/browse", cookie: cookie).text.contains("the selection now holds 2 items open to you, not the 3 shown; nothing was changed"))
        #expect(try f.review.count("SELECT count(*) FROM decisions WHERE reviewer = 'alice'") == 0)
        let done = f.post("/browse/bulk", query: ["label": "pos"], form: ["csrf": csrf, "scope": "all", "expected": "2", "action": "drop", "note": "spam"], cookie: cookie)
        let location = try #require(done.headers["Location"])
        #expect(location.hasPrefix("/browse?label=pos&undo="))
        let bulk = try #require(Int(location.split(separator: "=").last!))
        let after = f.get("/browse", query: ["label": "pos", "undo": String(bulk)], cookie: cookie).text
        #expect(after.contains("bulk \(bulk): drop of 2 samples"))
        #expect(after.contains("undo bulk \(bulk)"))
        #expect(try f.review.count("SELECT count(*) FROM decisions WHERE reviewer = 'alice' AND bulk_id = ? AND note = 'spam'", [bulk]) == 2)
        #expect(try f.review.count("SELECT count(*) FROM samples WHERE status = 'dropped'") == 3)
        // Without a flag filter the decisions act on all of a sample's flags: s1's and s2's are confirmed.
        #expect(try f.review.count("SELECT count(*) FROM flags WHERE status = 'confirmed'") == 2)
        #expect(try f.review.count("SELECT decisions FROM bulk_decisions WHERE id = ?", [bulk]) == 2)
        let selection = try f.review.text("SELECT selection FROM bulk_decisions WHERE id = ?", [bulk])
        #expect(selection?.contains("\"label\":\"pos\"") == true)
        // Undone as one.
        let undo = f.post("/browse/undo", query: ["label": "pos"], form: ["csrf": csrf, "bulk": String(bulk)], cookie: cookie)
        #expect(undo.headers["Location"] == "/browse?label=pos")
        #expect(f.get("/browse", cookie: cookie).text.contains("undone: bulk \(bulk), 2 decisions (drop)"))
        #expect(try f.review.count("SELECT count(*) FROM samples WHERE status = 'dropped'") == 1)
        #expect(try f.review.count("SELECT count(*) FROM flags WHERE status = 'open'") == 2)
    }

    @Test func bulkOverCheckedRowsRelabelsAndAddsToAQueue() throws {
        let f = try ServeFixture()
        let (cookie, csrf) = try f.signIn("alice")
        // Check boxes post the same name once per row.
        let body = "csrf=\(csrf)&scope=rows&uid=s1&uid=s2&action=relabel&to=neg"
        let response = f.app.handle(
            ServeRequest(
                method: "POST", path: "/browse/bulk", headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie],
                body: Data(body.utf8)))
        #expect(response.status == 303)
        #expect(try f.review.sample("s1").label == "neg")
        #expect(try f.review.sample("s2").label == "neg")
        #expect(try f.review.sample("s3").label == "pos")
        let none = f.post("/browse/bulk", form: ["csrf": csrf, "scope": "rows", "action": "drop"], cookie: cookie)
        #expect(none.status == 303)
        #expect(f.get("/browse", cookie: cookie).text.contains("choose rows (their check boxes) or &quot;all matching&quot; before a bulk action"))
        // The API takes uids as an array and answers with what it did.
        let queued = try f.json(
            f.postJSON("/api/bulk", ["scope": "all", "expected": 5, "label": "neg", "q": "sample", "action": "queue", "queue": "negatives"], cookie: cookie, csrf: csrf))
        #expect(queued["added"] as? Int == 5)
        #expect(queued["message"] as? String == "added 5 samples to queue negatives (new); it has 5 items")
        let kept = try f.json(f.postJSON("/api/bulk", ["uids": ["s4", "s5"], "action": "keep"], cookie: cookie, csrf: csrf))
        #expect(kept["decisions"] as? Int == 2)
        let bulk = try #require(kept["bulk"] as? Int)
        let undone = try f.json(f.postJSON("/api/bulk/undo", ["bulk": bulk], cookie: cookie, csrf: csrf))
        #expect(undone["undone"] as? Int == 2)
        let wrongType = f.postJSON("/api/bulk", ["uids": "s4", "action": "keep"], cookie: cookie, csrf: csrf)
        #expect(wrongType.status == 400)
        #expect((try f.json(wrongType)["error"] as? [String: String])?["message"] == "the field \"uids\" must be an array of strings")
        // A bulk without the CSRF token changes nothing.
        let forged = f.post("/browse/bulk", form: ["scope": "rows", "uid": "s6", "action": "drop"], cookie: cookie)
        #expect(forged.status == 403)
        #expect(try f.review.sample("s6").status == "active")
    }
}

/// The focus view's word diff against a duplicate's representative and label noise's prediction.
@Suite struct FocusDetailTests {
    @Test func wordDiffByHand() {
        typealias C = WordDiff.Change
        #expect(WordDiff.diff("the cat sat", "the cat sat") == [C.kept("the cat sat")])
        #expect(
            WordDiff.diff("the cat sat on the mat", "the dog sat on a mat") == [
                .kept("the "), .deleted("cat "), .inserted("dog "), .kept("sat on "), .deleted("the "), .inserted("a "), .kept("mat"),
            ])
        #expect(WordDiff.diff("", "new words") == [.inserted("new words")])
        #expect(WordDiff.diff("old words", "") == [.deleted("old words")])
        // Whitespace is not a difference: the second text's is kept.
        #expect(WordDiff.diff("a  b", "a b") == [.kept("a b")])
        // Past the table's size, the middle is shown whole as deleted then inserted.
        #expect(WordDiff.diff("x a b c y", "x d e f y", maxCells: 4) == [.kept("x "), .deleted("a b c "), .inserted("d e f "), .kept("y")])
        // The kept and inserted pieces give the second text back.
        let b = "one two  three\nfour"
        let pieces = WordDiff.diff("one three five", b).compactMap { change -> String? in
            switch change {
            case .kept(let s), .inserted(let s): return s
            case .deleted: return nil
            }
        }
        #expect(pieces.joined() == b)
    }

    @Test func theFocusViewDiffsAgainstTheRepresentativeAndShowsThePrediction() throws {
        let f = try ServeFixture()
        try f.review.store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO flags (sample_id, content_id, detector, score, reason, details, status, created_at)
                    SELECT s.id, r.content_id, 'near-duplicate', 0.9, 'near s2', '{"representative": "s2"}', 'open', '2027-01-01T00:00:00.000Z'
                    FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.uid = 's1';
                    INSERT INTO flags (sample_id, content_id, detector, score, reason, details, status, created_at)
                    SELECT s.id, r.content_id, 'label-noise', 0.8, 'noisy', '{"given": "pos", "predicted": "neg<b>", "p_given": 0.2, "p_predicted": 0.75}', 'open', '2027-01-01T00:00:00.000Z'
                    FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.uid = 's1';
                    """)
        }
        try f.review.queue("q")
        let (cookie, _) = try f.signIn("alice")
        let page = f.get("/queues/q", cookie: cookie).text
        // s1: "review sample number 1 with words of its own x"; s2 ends "2 … xx".
        #expect(page.contains("<pre class=\"text diff\" id=\"word-diff\">review sample number <del>2 </del><ins>1 </ins>with words of its own <del>xx</del><ins>x</ins></pre>"))
        #expect(page.contains("given <strong>pos</strong> (p 0.20)"))
        #expect(page.contains("classifier <strong>neg&lt;b&gt;</strong> (p 0.75)"))
        #expect(page.contains("id=\"act-predicted\""))
        #expect(page.contains("<input type=\"hidden\" name=\"label\" value=\"neg&lt;b&gt;\">"))
    }
}

/// Adjudication in the browser: a queue's disagreements, settled as `review decide --adjudicate`.
@Suite struct AdjudicationPageTests {
    @Test func disagreementsAreListedAndSettledByAnAdjudicator() throws {
        let f = try ServeFixture()
        try f.review.queue("pair", overlap: 2)
        // alice keeps s1, bob drops it: a disagreement.
        for (reviewer, action) in [("alice", DecisionAction.keep), ("bob", .drop)] {
            let item = try #require(try f.review.next("pair", reviewer))
            _ = try f.review.store.decide(DecisionRequest(item: item.id, reviewer: reviewer, action: action))
        }
        let (cookie, csrf) = try f.signIn("carol")
        #expect(f.get("/", cookie: cookie).text.contains("/queues/pair/disagreements\">1</a>"))
        let page = f.get("/queues/pair/disagreements", cookie: cookie).text
        #expect(page.contains("alice: keep · bob: drop"))
        #expect(page.contains("review sample number 1 with words of its own x"))
        let item = try #require(page.range(of: "id=\"item-").map { String(page[$0.upperBound...].prefix { $0.isNumber }) })
        // Without the adjudicator's mark the decision is refused: the item has its two decisions.
        let plain = f.post("/queues/pair/decide", form: ["csrf": csrf, "item": item, "action": "drop", "back": "disagreements"], cookie: cookie)
        #expect(plain.headers["Location"] == "/queues/pair/disagreements")
        #expect(f.get("/queues/pair/disagreements", cookie: cookie).text.contains("has its 2 decisions and they disagree"))
        #expect(try f.review.sample("s1").status == "active")
        let settled = f.post(
            "/queues/pair/decide", form: ["csrf": csrf, "item": item, "action": "drop", "adjudicate": "1", "back": "disagreements"], cookie: cookie)
        #expect(settled.status == 303)
        #expect(try f.review.sample("s1").status == "dropped")
        #expect(try f.review.count("SELECT count(*) FROM decisions WHERE reviewer = 'carol' AND adjudication = 1") == 1)
        #expect(f.get("/queues/pair/disagreements", cookie: cookie).text.contains("No disagreements in pair."))
    }
}

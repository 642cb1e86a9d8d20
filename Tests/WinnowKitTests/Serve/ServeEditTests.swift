import Foundation
import GRDB
import Testing
@testable import WinnowKit
@testable import WinnowServe

/// The focus view's edit (the terminal's `e`): a form posting `action=edit` with the text, through
/// the same `Store.decide` as `review decide --action edit`.
@Suite struct ServeEditTests {
    /// A store with a text sample and a pair, a queue over both (oldest first), alice signed in.
    final class Edits {
        let dir = TempDir()
        let store: Store
        let app: ServeApp
        let cookie: String
        static let form = ["Content-Type": "application/x-www-form-urlencoded"]

        init() throws {
            let lines = [
                #"{"id": "t1", "text": "\nfirst <b>line</b>\u202e\nsecond line", "label": "ham"}"#,
                #"{"id": "p1", "text_a": "left", "text_b": "right", "label": "same"}"#,
            ]
            store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
            _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("t.jsonl", lines[0] + "\n"))
            _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("p.jsonl", lines[1] + "\n"))
            var selection = QueueSelection()
            selection.priority = QueuePriority.oldest.rawValue
            _ = try store.createQueue(name: "q", selection: selection)
            app = ServeApp(store: store, signInToken: ServeFixture.token)
            cookie = try ServeFixture.cookie(to: app)
        }

        func focus() -> String { app.handle(ServeRequest(method: "GET", path: "/queues/q", headers: ["Cookie": cookie])).text }

        func item(_ page: String) throws -> String {
            try #require(page.range(of: "data-item=\"").map { String(page[$0.upperBound...].prefix { $0.isNumber }) })
        }

        /// Posts the focus view's edit form as a browser does (fields percent-encoded).
        func postForm(_ fields: [String: String], csrf: String) -> ServeResponse {
            let body = (["csrf": csrf].merging(fields) { $1 }).map {
                "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&")
            return app.handle(
                ServeRequest(method: "POST", path: "/queues/q/decide", headers: Edits.form.merging(["Cookie": cookie]) { $1 }, body: Data(body.utf8)))
        }

        func postJSON(_ object: [String: Any], csrf: String, path: String = "/api/decide") throws -> ServeResponse {
            app.handle(
                ServeRequest(
                    method: "POST", path: path, headers: ["Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf],
                    body: try JSONSerialization.data(withJSONObject: object)))
        }

        func current(_ uid: String) throws -> (text: String?, textA: String?, origin: String) {
            try store.read { db in
                let row = try #require(
                    try Row.fetchOne(
                        db,
                        sql: """
                            SELECT c.text, c.text_a, r.origin FROM samples s JOIN revisions r ON r.id = s.revision_id \
                            JOIN contents c ON c.id = r.content_id WHERE s.uid = ?
                            """, arguments: [uid]))
                return (row["text"], row["text_a"], row["origin"])
            }
        }
    }

    @Test func theFocusViewHasAnEditFormWithTheTextAsTheCLITakesIt() throws {
        let f = try Edits()
        let page = f.focus()
        #expect(page.contains("<form method=\"post\" action=\"/queues/q/decide\" id=\"act-edit\">"))
        #expect(page.contains("<input type=\"hidden\" name=\"action\" value=\"edit\">"))
        // The newline after <textarea> is the one the parser drops; the text's own leading newline follows it.
        // Markup escaped; the bidi control as a reference (posted back intact), never raw in the page.
        #expect(page.contains("spellcheck=\"false\">\n\nfirst &lt;b&gt;line&lt;/b&gt;&#x202E;\nsecond line</textarea>"))
        #expect(!page.unicodeScalars.contains { HTML.bidiControls.contains($0.value) })
        #expect(page.contains("<kbd>e</kbd> edit"))
    }

    @Test func anEditFromTheFormIsSavedWithLFLineEnds() throws {
        let f = try Edits()
        let page = f.focus()
        let csrf = try #require(ServeFixture.csrf(in: page))
        let item = try f.item(page)
        // A browser sends a textarea's line ends as CRLF.
        let posted = f.postForm(["item": item, "action": "edit", "text": "\r\nfirst <b>line</b>\u{202E}\r\nsecond line, edited"], csrf: csrf)
        #expect(posted.status == 303)
        let now = try f.current("t1")
        #expect(now.text == "\nfirst <b>line</b>\u{202E}\nsecond line, edited")
        #expect(now.origin == "edit")
        let decisions = try f.store.read { db in try Row.fetchAll(db, sql: "SELECT reviewer, action, revision_id FROM decisions") }
        #expect(decisions.count == 1)
        #expect(decisions.first?["reviewer"] as String? == "alice")
        #expect(decisions.first?["action"] as String? == "edit")
        // The next page says so, as `review decide` prints it.
        #expect(f.focus().contains("edit on item \(item) (t1): applied"))
        // Undone like any decision: the text is back.
        let undo = try f.postJSON(["item": try f.item(f.focus())], csrf: csrf, path: "/api/undo")
        #expect(undo.status == 200)
        #expect(try f.current("t1").text == "\nfirst <b>line</b>\u{202E}\nsecond line")
    }

    @Test func theAPIEditsAPairWithAJSONObjectAndRefusesBadOnes() throws {
        let f = try Edits()
        let csrf = try #require(ServeFixture.csrf(in: f.focus()))
        let first = try f.item(f.focus())
        #expect(f.postForm(["item": first, "action": "keep"], csrf: csrf).status == 303)
        let pair = try f.item(f.focus())
        #expect(f.focus().contains("a JSON object of the pair's fields"))
        #expect(f.focus().contains("&quot;text_a&quot; : &quot;left&quot;"))
        let missing = try f.postJSON(["item": pair, "action": "edit"], csrf: csrf)
        #expect(missing.status == 400)
        #expect(missing.text.contains("an edit needs \\\"text\\\""))
        let notJSON = try f.postJSON(["item": pair, "action": "edit", "text": "just words"], csrf: csrf)
        #expect(notJSON.status == 400)
        #expect(notJSON.text.contains("an edit of a pair sample is a JSON object of its fields"))
        #expect(try f.current("p1").textA == "left")
        let edited = try f.postJSON(["item": pair, "action": "edit", "text": #"{"text_a": "left, edited\r\n", "text_b": "right"}"#], csrf: csrf)
        #expect(edited.status == 200)
        #expect(edited.text.contains("\"action\":\"edit\""))
        // JSON carries the text exactly (no line-end change: that is for forms only).
        #expect(try f.current("p1").textA == "left, edited\r\n")
        #expect(try f.current("p1").origin == "edit")
    }
}

import Foundation
import GRDB
import Testing
@testable import WinnowKit
@testable import WinnowServe

/// A label holding a bidi control can be chosen in the focus view's relabel menu (found by
/// scripts/check-browser: the option's value was neutralised to `[U+202E]` like shown text,
/// so the browser posted a label that does not exist and the relabel was refused).
@Suite struct ServeBidiLabelTests {
    @Test func escapeValueByHand() {
        #expect(HTML.escapeValue("neg\u{202E}ative <b> \"q\" 'a' & \u{2066}i\u{2069}") == "neg&#x202E;ative &lt;b&gt; &quot;q&quot; &#39;a&#39; &amp; &#x2066;i&#x2069;")
        #expect(HTML.escapeValue("\u{061C}x\u{200F}") == "&#x61C;x&#x200F;")
        #expect(HTML.escapeValue("[U+202E] stays as typed") == "[U+202E] stays as typed")
        #expect(HTML.escape("neg\u{202E}ative") == "neg[U+202E]ative")
    }

    @Test func relabelToALabelWithABidiOverride() throws {
        let dir = TempDir()
        let bidi = "neg\u{202E}ative"
        let lines = [
            #"{"id": "plain-1", "text": "a plain sample", "label": "plain"}"#,
            #"{"id": "bidi-1", "text": "another sample", "label": "neg\u202eative"}"#,
        ]
        let store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("in.jsonl", lines.joined(separator: "\n") + "\n"))
        var selection = QueueSelection()
        selection.priority = QueuePriority.oldest.rawValue
        _ = try store.createQueue(name: "q", selection: selection)
        let app = ServeApp(store: store, signInToken: ServeFixture.token)
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        let cookie = try ServeFixture.cookie(to: app)
        let page = app.handle(ServeRequest(method: "GET", path: "/queues/q", headers: ["Cookie": cookie])).text
        #expect(page.contains("plain-1"))
        // Shown neutralised, sent back exact (the browser decodes the reference); no raw bidi control in the page.
        #expect(page.contains("<option value=\"neg&#x202E;ative\">1 neg[U+202E]ative</option>"))
        #expect(!page.unicodeScalars.contains { HTML.bidiControls.contains($0.value) })
        let csrf = try #require(ServeFixture.csrf(in: page))
        let item = try #require(page.range(of: "data-item=\"").map { String(page[$0.upperBound...].prefix { $0.isNumber }) })
        // What a browser posts for that option: the decoded value, percent-encoded.
        let label = try #require(bidi.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let posted = app.handle(
            ServeRequest(
                method: "POST", path: "/queues/q/decide", headers: form.merging(["Cookie": cookie]) { $1 },
                body: Data("csrf=\(csrf)&item=\(item)&action=relabel&label=\(label)".utf8)))
        #expect(posted.status == 303)
        let recorded = try store.read { db in try String.fetchAll(db, sql: "SELECT label FROM decisions") }
        #expect(recorded == [bidi])
        let current = try store.read { db in
            try String.fetchOne(db, sql: "SELECT r.label FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE s.uid = 'plain-1'")
        }
        #expect(current == bidi)
    }

    /// The browse page's values sent back — a filter's option and text, a row's uid check box,
    /// the bulk relabel's labels — carry bidi controls as references, so a filter, a chosen row
    /// and a bulk relabel name the real label or uid.
    @Test func browseFiltersRowsAndBulkRelabelKeepABidiLabelAndUid() throws {
        let dir = TempDir()
        let bidi = "neg\u{202E}ative"
        let lines = [
            #"{"id": "plain-1", "text": "a plain sample", "label": "plain"}"#,
            #"{"id": "u\u202e2", "text": "another sample", "label": "neg\u202eative"}"#,
        ]
        let store = try Store(path: dir.path("w.db"), mode: .createIfMissing)
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("in.jsonl", lines.joined(separator: "\n") + "\n"))
        let app = ServeApp(store: store, signInToken: ServeFixture.token)
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        let cookie = try ServeFixture.cookie(to: app)
        let filtered = app.handle(ServeRequest(method: "GET", path: "/browse", query: ["label": bidi, "q": "another \u{202E}"], headers: ["Cookie": cookie])).text
        #expect(filtered.contains("<option value=\"neg&#x202E;ative\" selected>neg[U+202E]ative</option>"))
        #expect(filtered.contains("value=\"another &#x202E;\""))
        let page = app.handle(ServeRequest(method: "GET", path: "/browse", headers: ["Cookie": cookie])).text
        #expect(page.contains("<input type=\"checkbox\" name=\"uid\" value=\"u&#x202E;2\""))
        #expect(page.contains("<option value=\"neg&#x202E;ative\">neg[U+202E]ative</option>"))
        #expect(!page.unicodeScalars.contains { HTML.bidiControls.contains($0.value) })
        #expect(!filtered.unicodeScalars.contains { HTML.bidiControls.contains($0.value) })
        // What a browser posts for the row's check box and that label: the decoded values.
        let csrf = try #require(ServeFixture.csrf(in: page))
        let enc = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
        let posted = app.handle(
            ServeRequest(
                method: "POST", path: "/browse/bulk", headers: form.merging(["Cookie": cookie]) { $1 },
                body: Data("csrf=\(csrf)&expected=2&scope=rows&uid=plain-1&action=relabel&to=\(enc(bidi))".utf8)))
        #expect(posted.status == 303)
        let labels = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT s.uid, r.label FROM samples s JOIN revisions r ON r.id = s.revision_id ORDER BY s.uid").map {
                [$0["uid"] as String, $0["label"] as String]
            }
        }
        #expect(labels == [["plain-1", bidi], ["u\u{202E}2", bidi]])
        // The hidden values of a post form are sent back exactly too.
        #expect(HTML.postForm(action: "/x", csrf: "c", fields: [("label", bidi)], button: "b").contains("value=\"neg&#x202E;ative\""))
    }
}

import Foundation
import WinnowKit

/// The server-rendered pages. Every piece of data goes through `HTML.escape`; the markup
/// around it is fixed text. Forms post without JavaScript; app.js adds the keys and the lease.
enum Pages {
    private static func e(_ text: String) -> String { HTML.escape(text) }

    /// The sign-in form of the printed URL: asks the reviewer's name.
    static func signIn(token: String, message: String?) -> String {
        HTML.page(
            title: "Sign in",
            body: """
                <main class="signin">
                <h1>winnow review</h1>
                \(message.map { "<p class=\"flash\">\(e($0))</p>" } ?? "")
                <form method="post" action="/signin">
                <input type="hidden" name="token" value="\(e(token))">
                <label>Your name (as decisions record it) <input name="reviewer" autocomplete="username" required maxlength="64" autofocus></label>
                <button type="submit">Sign in</button>
                </form>
                </main>
                """, assets: false)
    }

    static func message(title: String, text: String, assets: Bool = true) -> String {
        HTML.page(title: title, body: "<main><h1>\(e(title))</h1><p>\(e(text))</p><p><a href=\"/\">queues</a></p></main>", assets: assets)
    }

    static func header(reviewer: String, csrf: String, trail: String) -> String {
        """
        <header><nav><a href="/">queues</a>\(trail)</nav>
        <nav class="pages"><a href="/browse">browse</a> · <a href="/dashboard">dashboards</a></nav>
        <span class="who">signed in as <strong>\(e(reviewer))</strong></span>
        \(HTML.postForm(action: "/signout", csrf: csrf, fields: [], button: "sign out"))</header>
        """
    }

    static func flashLine(_ flash: String?) -> String {
        flash.map { "<p class=\"flash\" role=\"status\">\(e($0))</p>" } ?? ""
    }

    /// The queue list: each queue's progress, linking to its focus view.
    static func queues(_ queues: [QueueStatus], reviewer: String, csrf: String, flash: String?) -> String {
        let rows = queues.map { q in
            """
            <tr><td><a href="/queues/\(e(HTML.pathSegment(q.queue)))">\(e(q.queue))</a></td><td>\(q.items)</td><td>\(q.pending)</td>\
            <td>\(q.claimed)</td><td>\(q.decided)</td>\
            <td>\(q.disagreements == 0 ? "0" : "<a href=\"/queues/\(e(HTML.pathSegment(q.queue)))/disagreements\">\(q.disagreements)</a>")</td><td>\(q.overlap)</td>\
            <td><progress max="\(max(q.items, 1))" value="\(q.decided)"></progress></td></tr>
            """
        }.joined(separator: "\n")
        let table =
            queues.isEmpty
            ? "<p>No queues yet: make one with <code>winnow queue create NAME</code>.</p>"
            : """
            <table class="queues"><thead><tr><th>queue</th><th>items</th><th>pending</th><th>claimed</th><th>decided</th>\
            <th>disagreements</th><th>overlap</th><th>progress</th></tr></thead><tbody>
            \(rows)
            </tbody></table>
            """
        return HTML.page(
            title: "Queues",
            body: header(reviewer: reviewer, csrf: csrf, trail: "") + "<main>\(flashLine(flash))<h1>Review queues</h1>\(table)</main>",
            csrf: csrf)
    }

    /// The queue has nothing for this reviewer now: says whether others' leases hold items, how
    /// many and when the first frees, or that the queue is done for them.
    static func nothingLeft(_ queue: QueueStatus, wait: LeaseWait, reviewer: String, csrf: String, flash: String?, now: Date) -> String {
        var text: String
        if wait.leasedByOthers > 0 {
            text = "\(wait.leasedByOthers) item\(wait.leasedByOthers == 1 ? "" : "s") leased by others"
            if let next = wait.nextFreeAt {
                text += ", the next frees " + freesIn(next, now: now) + " (at \(next))"
            }
            text += ". This page does not reload by itself: reload it then."
        } else {
            text = "Nothing left in \(queue.queue) for \(reviewer): \(queue.decided) of \(queue.items) items decided"
            if queue.disagreements > 0 { text += ", \(queue.disagreements) disagreements wait for an adjudicator" }
            text += "."
        }
        var undo = HTML.postForm(action: "/queues/\(HTML.pathSegment(queue.queue))/undo", csrf: csrf, fields: [], button: "<kbd>u</kbd> undo my last decision", id: "act-undo")
        if queue.disagreements > 0 {
            undo += " <a href=\"/queues/\(e(HTML.pathSegment(queue.queue)))/disagreements\" id=\"to-disagreements\">settle the disagreements</a>"
        }
        return HTML.page(
            title: queue.queue,
            body: header(reviewer: reviewer, csrf: csrf, trail: " › \(e(queue.queue)) · <a href=\"/queues/\(e(HTML.pathSegment(queue.queue)))/progress\">progress</a>")
                + "<main>\(flashLine(flash))<p class=\"empty\" id=\"nothing-left\">\(e(text))</p><section class=\"actions\">\(undo)</section></main>",
            csrf: csrf)
    }

    /// "in 4 min" from an ISO-8601 time.
    static func freesIn(_ timestamp: String, now: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: timestamp) else { return "soon" }
        let seconds = Int(date.timeIntervalSince(now).rounded(.up))
        if seconds < 60 { return "in \(max(seconds, 1)) s" }
        return "in \((seconds + 59) / 60) min"
    }

    /// The focus view: one claimed item, its flags, its content per kind, and the decisions.
    static func focus(
        _ item: ReviewItem, queue: String, labels: [String], reviewer: String, csrf: String, flash: String?,
        renewSeconds: Double
    ) -> String {
        let path = "/queues/\(HTML.pathSegment(queue))"
        var meta = "<span>item \(item.id)</span> · <span class=\"uid\">\(e(item.uid))</span> · <span>\(e(item.kind))</span>"
        meta += " · label: <strong class=\"label\">\(e(item.label ?? "(none)"))</strong>"
        for (dimension, category) in item.scenes.sorted(by: { $0.key < $1.key }) {
            meta += " · <span class=\"scene\">\(e(dimension))=\(e(category))</span>"
        }
        let flags = item.flags.map { flag -> String in
            var details = ""
            if case .object(let fields) = flag.details, !fields.isEmpty {
                details =
                    "<dl class=\"details\">"
                    + fields.sorted(by: { $0.key < $1.key }).map { key, value in
                        let shown: String
                        if case .string(let s) = value { shown = s } else { shown = value.json }
                        return "<dt>\(e(key))</dt><dd>\(e(shown))</dd>"
                    }.joined() + "</dl>"
            }
            let aside = flag.underReview ? "" : " <em>(not under review)</em>"
            return "<li><strong>\(e(flag.detector))</strong> \(String(format: "%.2f", flag.score)): \(e(flag.reason))\(aside)\(details)</li>"
        }.joined()
        var seen: Set<String> = []
        let representative = item.flags.compactMap(\.representative).first { seen.insert($0.uid).inserted }
        var content = "<div class=\"sample\"><h2>this sample</h2>\(sampleContent(item))</div>"
        if let rep = representative {
            content += """
                <div class="sample representative"><h2>representative <span class="uid">\(e(rep.uid))</span> · label: \(e(rep.label ?? "(none)"))\
                \(rep.status == "active" ? "" : " · \(e(rep.status))")</h2>\
                <p class="legend">word diff: <del>only in the representative</del> <ins>only in this sample</ins></p>\
                <pre class="text diff" id="word-diff">\(wordDiff(from: rep.text, to: item.text))</pre></div>
                """
        }
        let decide = "\(path)/decide"
        // Label noise: the given label beside the classifier's, and a one-click relabel to it.
        var prediction = ""
        if let noise = item.flags.first(where: { $0.detector == DetectorName.labelNoise.rawValue }), case .object(let d) = noise.details,
            case .string(let predicted)? = d["predicted"]
        {
            func p(_ key: String) -> String {
                if case .number(let x)? = d[key], let value = Double(x) { return String(format: "%.2f", value) }
                return "?"
            }
            let given: String
            if case .string(let g)? = d["given"] { given = g } else { given = item.label ?? "(none)" }
            prediction = """
                <section class="prediction" id="label-noise"><span>given <strong>\(e(given))</strong> (p \(p("p_given")))</span> · \
                <span>classifier <strong>\(e(predicted))</strong> (p \(p("p_predicted")))</span>\
                \(predicted != item.label ? HTML.postForm(action: decide, csrf: csrf, fields: [("item", String(item.id)), ("action", "relabel"), ("label", predicted)], button: "relabel to \(e(predicted))", id: "act-predicted") : "")</section>
                """
        }
        let options =
            labels.prefix(9).enumerated().map { "<option value=\"\(HTML.escapeValue($0.element))\">\($0.offset + 1) \(e($0.element))</option>" }.joined()
            + labels.dropFirst(9).map { "<option value=\"\(HTML.escapeValue($0))\">\(e($0))</option>" }.joined()
        let relabel =
            labels.isEmpty
            ? ""
            : """
            <form method="post" action="\(e(decide))" id="act-relabel"><input type="hidden" name="csrf" value="\(e(csrf))">\
            <input type="hidden" name="item" value="\(item.id)"><input type="hidden" name="action" value="relabel">\
            <select name="label" id="relabel-label">\(options)</select><button type="submit"><kbd>r</kbd> relabel</button></form>
            """
        func act(_ action: DecisionAction, _ key: String, _ title: String) -> String {
            HTML.postForm(
                action: decide, csrf: csrf, fields: [("item", String(item.id)), ("action", action.rawValue)],
                button: "<kbd>\(key)</kbd> \(title)", id: "act-\(action.rawValue)")
        }
        let actions = [
            act(.keep, "k", "keep"), act(.drop, "d", "drop"), relabel, act(.skip, "s", "skip"),
            HTML.postForm(action: "\(path)/undo", csrf: csrf, fields: [("item", String(item.id))], button: "<kbd>u</kbd> undo", id: "act-undo"),
            "<span class=\"hint\"><kbd>?</kbd> keys</span>",
        ].joined(separator: "\n")
        let help = """
            <section class="help" id="help"><h2>Keys</h2><p><kbd>k</kbd> keep (the flags were false alarms) · <kbd>d</kbd> drop · \
            <kbd>r</kbd> then a digit: relabel to that label · <kbd>e</kbd> edit the text (<kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves, \
            <kbd>Esc</kbd> leaves the editor) · <kbd>s</kbd> skip (release to someone else) · <kbd>u</kbd> undo your last decision · \
            <kbd>?</kbd> this help. Without JavaScript the buttons do the same. The lease on this item is renewed while the page is open \
            and released when you leave it.</p></section>
            """
        let body = """
            \(header(reviewer: reviewer, csrf: csrf, trail: " › <a href=\"\(e(path))\">\(e(queue))</a> · \(item.decided) of \(item.items) decided · <a href=\"\(e(path))/progress\">progress</a>"))
            <main class="focus">
            \(flashLine(flash))
            <p class="meta">\(meta)</p>
            \(flags.isEmpty ? "" : "<ul class=\"flags\">\(flags)</ul>")
            \(prediction)
            <section class="content\(representative == nil ? "" : " side")">\(content)</section>
            <section class="actions">\(actions)</section>
            \(editForm(item, action: decide, csrf: csrf))
            <p class="lease" id="lease">lease until \(e(item.leaseExpiresAt))</p>
            \(help)
            </main>
            """
        return HTML.page(
            title: "\(queue) · item \(item.id)", body: body, csrf: csrf,
            bodyAttributes: [("data-item", String(item.id)), ("data-renew", String(Int(renewSeconds))), ("data-lease", item.leaseExpiresAt)])
    }

    /// The edit form (the terminal's `e`): the text as `review decide --action edit` takes it
    /// (a text sample's text, else a JSON object of the kind's fields), in a textarea inside a
    /// `<details>` that app.js opens on `e`; it posts without JavaScript too. The text goes
    /// through `HTML.escapeValue`, since it is posted back: a bidi control in it survives the
    /// edit (the sample's box above shows it neutralised). The newline after `<textarea>` is
    /// the one the HTML parser drops, so a text starting with a newline keeps it.
    static func editForm(_ item: ReviewItem, action: String, csrf: String) -> String {
        guard let text = try? item.editorText() else { return "" }
        let what = item.kind == SampleKind.text.rawValue ? "the text" : "a JSON object of the \(e(item.kind))'s fields"
        let rows = min(24, max(4, text.split(separator: "\n", omittingEmptySubsequences: false).count + 1))
        return """
            <details class="edit" id="edit"><summary><kbd>e</kbd> edit</summary>\
            <form method="post" action="\(e(action))" id="act-edit"><input type="hidden" name="csrf" value="\(e(csrf))">\
            <input type="hidden" name="item" value="\(item.id)"><input type="hidden" name="action" value="edit">\
            <label for="edit-text">The edited sample: \(what) (line ends are saved as LF)</label>
            <textarea name="text" id="edit-text" rows="\(rows)" spellcheck="false">
            \(HTML.escapeValue(text))</textarea>
            <button type="submit">save the edit</button> <span class="hint"><kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves</span></form></details>
            """
    }

    /// The word diff of a representative's text and this sample's, escaped: kept words as
    /// they are, the representative's own in `<del>`, this sample's own in `<ins>`.
    static func wordDiff(from representative: String, to text: String) -> String {
        WordDiff.diff(representative, text).map { change in
            switch change {
            case .kept(let s): return e(s)
            case .deleted(let s): return "<del>\(e(s))</del>"
            case .inserted(let s): return "<ins>\(e(s))</ins>"
            }
        }.joined()
    }

    /// The sample's fields per kind: a text, a pair side by side, an instruction's fields, a
    /// chat's turns with roles. Long texts scroll inside their box.
    static func sampleContent(_ item: ReviewItem) -> String {
        func block(_ text: String) -> String { "<pre class=\"text\">\(e(text))</pre>" }
        switch item.kind {
        case SampleKind.pair.rawValue:
            return """
                <div class="pair"><div><h3>text_a</h3>\(block(item.content["text_a"] ?? ""))</div>\
                <div><h3>text_b</h3>\(block(item.content["text_b"] ?? ""))</div></div>
                """
        case SampleKind.instruction.rawValue:
            return ["instruction", "input", "output"].compactMap { key in
                item.content[key].map { "<h3>\(key)</h3>" + block($0) }
            }.joined()
        case SampleKind.chat.rawValue:
            guard let json = item.content["messages"], let messages = ChatMessage.decodeList(json) else {
                return block(item.content["messages"] ?? "")
            }
            return "<ol class=\"chat\">"
                + messages.map { message in
                    let role = message.role.allSatisfy { $0.isASCII && $0.isLetter } ? message.role.lowercased() : "other"
                    return "<li class=\"turn role-\(role)\"><span class=\"role\">\(e(message.role))</span>\(block(message.content))</li>"
                }.joined() + "</ol>"
        default:
            return block(item.content["text"] ?? item.content.values.sorted().joined(separator: "\n\n"))
        }
    }

    /// One line for a decision's outcome (as `review decide` prints it).
    static func outcomeLine(_ o: DecisionOutcome) -> String {
        switch o.state {
        case "applied": return "\(o.action) on item \(o.item) (\(o.uid)): applied"
        case "waiting": return "\(o.action) on item \(o.item) (\(o.uid)): recorded, waiting for more reviewers"
        case "disagreement": return "\(o.action) on item \(o.item) (\(o.uid)): recorded; the reviewers disagree, an adjudicator settles it"
        case "duplicate": return "\(o.action) on item \(o.item) (\(o.uid)): already recorded"
        default: return "\(o.action) on item \(o.item) (\(o.uid)): released"
        }
    }
}

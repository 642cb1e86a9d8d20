import Foundation
import WinnowKit

/// The browse page's selection as a query string carries it: `winnow samples`' filters
/// (`label`, `scene` as DIM=CAT, `flag`, `min_score`, `max_score`, `status`, `source`, `kind`,
/// `origin`), a full-text search `q`, and the page number `page` (from 1).
struct BrowseQuery: Equatable {
    /// The query-string names of the filters, in the order links carry them.
    static let names = ["q", "label", "scene", "flag", "min_score", "max_score", "status", "source", "kind", "origin"]
    /// Rows per page.
    static let pageSize = 50

    /// The filters given (empty values dropped).
    var values: [String: String]
    var page: Int

    init(_ fields: [String: String]) {
        var values: [String: String] = [:]
        for name in BrowseQuery.names {
            if let value = fields[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { values[name] = value }
        }
        self.values = values
        self.page = max(1, Int(fields["page"] ?? "") ?? 1)
    }

    /// The library's filter, or a message saying which value is wrong.
    func filter() throws -> SampleFilter {
        var filter = SampleFilter()
        filter.search = values["q"]
        filter.label = values["label"]
        filter.flagDetector = values["flag"]
        filter.source = values["source"]
        if let scene = values["scene"] {
            let parts = scene.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw WinnowError.invalidArgument("scene \(JSONText.quote(scene)) is not DIM=CAT (for example domain=books)")
            }
            filter.scene = (parts[0], parts[1])
        }
        for (name, keyPath) in [("min_score", \SampleFilter.minScore), ("max_score", \SampleFilter.maxScore)] {
            if let text = values[name] {
                guard let value = Double(text), value.isFinite else {
                    throw WinnowError.invalidArgument("\(name) \(JSONText.quote(text)) is not a number")
                }
                filter[keyPath: keyPath] = value
            }
        }
        if let status = values["status"] {
            guard let known = SampleStatus(rawValue: status) else {
                throw WinnowError.invalidArgument("status \(JSONText.quote(status)): choose active or dropped")
            }
            filter.status = known.rawValue
        }
        if let kind = values["kind"] {
            guard let known = SampleKind(rawValue: kind) else {
                throw WinnowError.invalidArgument("kind \(JSONText.quote(kind)): choose text, pair, instruction or chat")
            }
            filter.kind = known
        }
        if let origin = values["origin"] {
            guard let known = SampleOrigin(rawValue: origin) else {
                throw WinnowError.invalidArgument("origin \(JSONText.quote(origin)): choose import or augmented")
            }
            filter.origin = known
        }
        filter.limit = BrowseQuery.pageSize
        filter.offset = (page - 1) * BrowseQuery.pageSize
        return filter
    }

    /// The query string of this selection at `page` (`?q=…&page=2`), percent-encoded.
    func queryString(page: Int? = nil) -> String {
        var items = BrowseQuery.names.compactMap { name in values[name].map { (name, $0) } }
        if let page, page > 1 { items.append(("page", String(page))) }
        if items.isEmpty { return "" }
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return "?" + items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}

/// One page of a browse selection: the count, the rows with their open flags, and how many of
/// the matches are active (what a bulk decision over "all matching" acts on).
struct BrowsePage: Encodable {
    struct Row: Encodable {
        var sample: SampleSummary
        var flags: [OpenFlag]
        func encode(to encoder: Encoder) throws {
            try sample.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(flags, forKey: .flags)
        }
        enum Keys: String, CodingKey { case flags }
    }
    var count: Int
    var active: Int
    var page: Int
    var pageSize: Int
    var samples: [Row]
    enum CodingKeys: String, CodingKey {
        case count, active, page, samples
        case pageSize = "page_size"
    }

    /// The page of `query` over `store`: one count, one page of rows, their flags.
    static func load(_ query: BrowseQuery, store: Store) throws -> BrowsePage {
        let (count, active, samples) = try store.samplePage(try query.filter())
        let flags = samples.isEmpty ? [:] : try store.openFlags(uids: samples.map(\.uid))
        return BrowsePage(
            count: count, active: active, page: query.page, pageSize: BrowseQuery.pageSize,
            samples: samples.map { Row(sample: $0, flags: flags[$0.uid] ?? []) })
    }
}

/// A bulk action from the browse page (or `POST /api/bulk`): over the rows chosen (`uid`,
/// repeated, or a JSON array `uids`) or over all the active samples the selection matches
/// (`scope=all` with `expected`, the count the page showed).
struct BrowseBulk {
    /// drop, keep, relabel (with `to`), or queue (add to queue `queue`).
    var action: String
    var to: String?
    var queue: String?
    var uids: [String]
    var all: Bool
    var expected: Int?
    var note: String?

    init(fields: [String: String], uids: [String]) throws {
        action = fields["action"] ?? ""
        to = fields["to"].flatMap { $0.isEmpty ? nil : $0 }
        queue = fields["queue"].flatMap { $0.isEmpty ? nil : $0 }
        note = fields["note"].flatMap { $0.isEmpty ? nil : $0 }
        all = fields["scope"] == "all"
        self.uids = uids
        if let text = fields["expected"], !text.isEmpty {
            guard let value = Int(text), value >= 0 else { throw WinnowError.invalidArgument("\"expected\" must be a count, not \(JSONText.quote(text))") }
            expected = value
        }
        if !all && uids.isEmpty {
            throw WinnowError.invalidArgument("choose rows (their check boxes) or \"all matching\" before a bulk action")
        }
        if all && expected == nil {
            throw WinnowError.invalidArgument("\"all matching\" needs \"expected\": the number of active matches the page showed")
        }
    }

    /// What it did, for the page's flash line and the API's answer.
    struct Outcome: Encodable {
        var action: String
        @NullEncodable var bulk: Int64?
        var queue: String
        var decisions: Int
        var added: Int
        var skipped: Int
        var message: String
    }

    /// Runs it as `reviewer`: one bulk decision (one transaction, undoable as one with
    /// `review undo --bulk ID` or the page's undo), or the matches added to a queue.
    func run(_ query: BrowseQuery, store: Store, reviewer: String) throws -> Outcome {
        var filter = try query.filter()
        filter.limit = nil
        filter.offset = 0
        if !all { filter.uids = uids }
        if action == "queue" {
            guard let queue else { throw WinnowError.invalidArgument("adding to a queue needs its name (\"queue\")") }
            var selection = QueueSelection()
            selection.samples = filter
            selection.priority = QueuePriority.oldest.rawValue
            let made = try store.createQueue(name: queue, selection: selection)
            let message = "added \(made.added) sample\(made.added == 1 ? "" : "s") to queue \(queue)\(made.created ? " (new)" : ""); it has \(made.total) items"
            return Outcome(action: action, bulk: nil, queue: queue, decisions: 0, added: made.added, skipped: 0, message: message)
        }
        guard let decision = DecisionAction(rawValue: action), [.keep, .drop, .relabel].contains(decision) else {
            throw WinnowError.invalidArgument("action \(JSONText.quote(action)): choose drop, keep, relabel or queue")
        }
        var request = BulkRequest(reviewer: reviewer, action: decision)
        request.samples = filter
        request.to = decision == .relabel ? to : nil
        request.note = note
        request.expectedCount = all ? expected : nil
        // Without a flag filter a decision acts on every open flag of its sample.
        request.allFlags = filter.flagDetector == nil
        let outcome = try store.bulkDecide(request)
        var message = "\(action)\(request.to.map { " to \($0)" } ?? "") of \(outcome.decisions) sample\(outcome.decisions == 1 ? "" : "s")"
        if let bulk = outcome.bulk { message = "bulk \(bulk): " + message }
        if !outcome.skipped.isEmpty { message += "; \(outcome.skipped.count) skipped (\(outcome.skipped.first!.reason)\(outcome.skipped.count > 1 ? ", …" : ""))" }
        return Outcome(
            action: action, bulk: outcome.bulk, queue: outcome.queue, decisions: outcome.decisions, added: 0, skipped: outcome.skipped.count,
            message: message)
    }
}

extension Pages {
    /// The browse page: the selection form, the count, a page of 50 rows with check boxes, the
    /// pager, and the bulk form (which works without JavaScript: the check boxes belong to it).
    static func browse(
        _ query: BrowseQuery, _ page: BrowsePage?, error: String?, choices: (labels: [String], detectors: [String], scenes: [String]),
        reviewer: String, csrf: String, flash: String?, lastBulk: Int64?
    ) -> String {
        func e(_ text: String) -> String { HTML.escape(text) }
        func select(_ name: String, _ options: [String], _ all: String) -> String {
            let chosen = query.values[name]
            var list = options
            if let chosen, !list.contains(chosen) { list.append(chosen) }
            let items = list.map { "<option value=\"\(HTML.escapeValue($0))\"\($0 == chosen ? " selected" : "")>\(e($0))</option>" }.joined()
            return "<select name=\"\(name)\" id=\"f-\(name)\"><option value=\"\">\(e(all))</option>\(items)</select>"
        }
        func input(_ name: String, _ placeholder: String, size: Int = 8) -> String {
            "<input name=\"\(name)\" id=\"f-\(name)\" size=\"\(size)\" placeholder=\"\(e(placeholder))\" value=\"\(HTML.escapeValue(query.values[name] ?? ""))\">"
        }
        let form = """
            <form method="get" action="/browse" class="selection" id="selection">
            <label>text \(input("q", "words, \"a phrase\", prefix*", size: 28))</label>
            <label>label \(select("label", choices.labels, "any"))</label>
            <label>scene \(select("scene", choices.scenes, "any"))</label>
            <label>flag \(select("flag", choices.detectors, "any"))</label>
            <label>score \(input("min_score", "min", size: 4))–\(input("max_score", "max", size: 4))</label>
            <label>status \(select("status", SampleStatus.allCases.map(\.rawValue), "any"))</label>
            <label>kind \(select("kind", SampleKind.allCases.map(\.rawValue), "any"))</label>
            <label>origin \(select("origin", SampleOrigin.allCases.map(\.rawValue), "any"))</label>
            <label>source \(input("source", "name, path or id", size: 12))</label>
            <button type="submit">show</button> <a href="/browse">clear</a>
            </form>
            """
        var main = flashLine(flash)
        if let lastBulk {
            main += HTML.postForm(
                action: "/browse/undo" + query.queryString(), csrf: csrf, fields: [("bulk", String(lastBulk))],
                button: "undo bulk \(lastBulk)", id: "undo-bulk")
        }
        main += "<h1>Browse samples</h1>" + form
        if let error {
            main += "<p class=\"flash\" role=\"alert\" id=\"browse-error\">\(e(error))</p>"
        } else if let page {
            let first = page.count == 0 ? 0 : (page.page - 1) * page.pageSize + 1
            let last = (page.page - 1) * page.pageSize + page.samples.count
            main += "<p class=\"count\" id=\"match-count\">\(first)–\(last) of <strong>\(page.count)</strong> matching samples (\(page.active) active)</p>"
            let rows = page.samples.map { row -> String in
                let s = row.sample
                let scenes = s.scenes.sorted { $0.key < $1.key }.map { "\(e($0.key))=\(e($0.value))" }.joined(separator: " ")
                let flags = row.flags.map { "\(e($0.detector)) \(String(format: "%.2f", $0.score))" }.joined(separator: ", ")
                let text = s.text.count > 240 ? String(s.text.prefix(240)) + "…" : s.text
                return """
                    <tr><td><input type="checkbox" name="uid" value="\(HTML.escapeValue(s.uid))" form="bulk" aria-label="choose \(e(s.uid))"></td>\
                    <td class="uid">\(e(s.uid))</td><td>\(e(s.kind))</td><td>\(e(s.label ?? "—"))</td><td>\(e(s.status))</td>\
                    <td>\(scenes)</td><td>\(flags)</td><td class="excerpt">\(e(text))</td></tr>
                    """
            }.joined(separator: "\n")
            if !page.samples.isEmpty {
                main += """
                    <table class="browse" id="browse-table"><thead><tr><th></th><th>uid</th><th>kind</th><th>label</th><th>status</th>\
                    <th>scenes</th><th>open flags</th><th>text</th></tr></thead><tbody>
                    \(rows)
                    </tbody></table>
                    """
            }
            let pages = max(1, (page.count + page.pageSize - 1) / page.pageSize)
            var pager = "<nav class=\"pager\">page \(page.page) of \(pages)"
            if page.page > 1 { pager += " <a href=\"/browse\(e(query.queryString(page: page.page - 1)))\" rel=\"prev\">‹ previous</a>" }
            if page.page < pages { pager += " <a href=\"/browse\(e(query.queryString(page: page.page + 1)))\" rel=\"next\" id=\"next-page\">next ›</a>" }
            main += pager + "</nav>"
            if page.active > 0 {
                let labels = choices.labels.map { "<option value=\"\(HTML.escapeValue($0))\">\(e($0))</option>" }.joined()
                main += """
                    <form method="post" action="/browse/bulk\(e(query.queryString()))" id="bulk" class="bulk">
                    <input type="hidden" name="csrf" value="\(e(csrf))">
                    <input type="hidden" name="expected" value="\(page.active)">
                    <fieldset><legend>Bulk action, recorded as your decisions, undoable as one</legend>
                    <label><input type="radio" name="scope" value="rows" checked> the rows checked above</label>
                    <label><input type="radio" name="scope" value="all" id="scope-all"> all <strong>\(page.active)</strong> active matching samples</label>
                    <select name="action" id="bulk-action">
                    <option value="drop">drop (confirms their flags)</option>
                    <option value="keep">keep (dismisses their flags)</option>
                    <option value="relabel">relabel to …</option>
                    <option value="queue">add to queue …</option>
                    </select>
                    <select name="to" id="bulk-to"><option value="">(label for relabel)</option>\(labels)</select>
                    <input name="queue" id="bulk-queue" placeholder="queue name (add to queue)" size="16">
                    <input name="note" placeholder="note (optional)" size="16">
                    <button type="submit" id="bulk-submit">apply</button>
                    </fieldset></form>
                    """
            }
        }
        return HTML.page(
            title: "Browse",
            body: header(reviewer: reviewer, csrf: csrf, trail: " › browse") + "<main>\(main)</main>",
            csrf: csrf)
    }
}

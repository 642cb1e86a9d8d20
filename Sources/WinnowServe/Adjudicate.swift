import Foundation
import WinnowKit

extension Pages {
    /// A queue's disagreements, for an adjudicator: each item whose reviewers disagree, with
    /// their verdicts, the sample's text and the decisions that settle it (`review decide
    /// --adjudicate`), as forms that post without JavaScript.
    static func disagreements(
        _ report: AgreementReport, samples: [String: SampleSummary], labels: [String], reviewer: String, csrf: String,
        flash: String?
    ) -> String {
        func e(_ text: String) -> String { HTML.escape(text) }
        let path = "/queues/\(HTML.pathSegment(report.queue))"
        let rows = report.disagreements.map { d -> String in
            let sample = samples[d.uid]
            func settle(_ action: String, _ title: String, label: String? = nil) -> String {
                var fields = [("item", String(d.item)), ("action", action), ("adjudicate", "1"), ("back", "disagreements")]
                if let label { fields.append(("label", label)) }
                return HTML.postForm(action: "\(path)/decide", csrf: csrf, fields: fields, button: title)
            }
            let relabels = labels.filter { $0 != sample?.label }.map { settle("relabel", "relabel to \(e($0))", label: $0) }.joined()
            return """
                <li class="disagreement" id="item-\(d.item)"><h2>item \(d.item) · <span class="uid">\(e(d.uid))</span> · label: \
                \(e(sample?.label ?? "(none)"))</h2><p>\(d.decisions.map(e).joined(separator: " · "))</p>\
                <pre class="text">\(e(sample?.text ?? ""))</pre>\
                <div class="actions">\(settle("keep", "settle: keep"))\(settle("drop", "settle: drop"))\(relabels)</div></li>
                """
        }.joined(separator: "\n")
        let list =
            report.disagreements.isEmpty
            ? "<p class=\"empty\" id=\"no-disagreements\">No disagreements in \(e(report.queue)).</p>"
            : "<ol class=\"disagreements\">\(rows)</ol>"
        return HTML.page(
            title: "\(report.queue) · disagreements",
            body: header(reviewer: reviewer, csrf: csrf, trail: " › <a href=\"\(e(path))\">\(e(report.queue))</a> › disagreements")
                + """
                <main>\(flashLine(flash))<h1>Disagreements in \(e(report.queue))</h1>\
                <p>Each item here has all its reviewers' decisions, and they differ. Your decision as adjudicator settles it and \
                applies its effect, as <code>winnow review decide ITEM --adjudicate</code> does.</p>\(list)</main>
                """,
            csrf: csrf)
    }
}

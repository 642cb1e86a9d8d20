import Foundation
import WinnowKit

/// The dashboards: coverage, distributions, flags, review progress and snapshots as
/// server-rendered SVG pages (`/dashboard/…`), each with its JSON twin (`/api/dashboard/…`)
/// in the field names of the CLI command that computes the same figures. Every figure comes
/// from the library call that command makes (`Store.coverage`, `distribution`, `flagSummary`,
/// `queueStatuses`, `snapshots`, `diffSnapshots`, `agreement`): nothing is computed twice.
struct Dashboard {
    let app: ServeApp
    let context: ServeApp.Context

    private static func e(_ text: String) -> String { HTML.escape(text) }

    // MARK: the JSON twins' documents

    /// `coverage --json`.
    struct CoverageDocument: Encodable { var dimensions: [CoverageReport] }
    /// `flags summary --json`.
    struct FlagsDocument: Encodable { var detectors: [DetectorPrecision] }
    /// `queue list --json`.
    struct ProgressDocument: Encodable { var queues: [QueueStatus] }
    /// `snapshot list --json`.
    struct SnapshotsDocument: Encodable { var snapshots: [SnapshotInfo] }
    /// The distribution page's figures: one `distribution --json` document per subject (labels,
    /// then each dimension `coverage` lists), and the subjects that have none, with why.
    struct DistributionsDocument: Encodable {
        struct Unavailable: Encodable {
            var of: String
            var message: String
        }
        var distributions: [DistributionReport]
        var unavailable: [Unavailable]
    }

    /// The uids a snapshot diff lists on the page, per kind of change.
    static let diffLimit = 20

    // MARK: the library calls (one place, for the pages and the API alike)

    /// `query[name]`, with an empty value as none (an empty select option means "the live store").
    private static func value(_ request: ServeRequest, _ name: String) -> String? {
        guard let text = request.query[name], !text.isEmpty else { return nil }
        return text
    }

    func coverage(snapshot: String?) throws -> [CoverageReport] {
        try app.store.coverage(snapshot: snapshot)
    }

    /// `against` as the web takes it: the CLI's keywords and `snapshot:NAME`. Files and corpora
    /// are read by the CLI only: a page must not open paths on the server's disk.
    static func checkedAgainst(_ against: String?) throws -> String? {
        guard let against else { return nil }
        if against == "uniform" || against == "taxonomy" || against.hasPrefix("snapshot:") { return against }
        throw WinnowError.invalidArgument(
            "against=\(against): the web review compares with uniform, taxonomy or snapshot:NAME; a reference file or corpus is read by the CLI (`winnow distribution --against FILE`)"
        )
    }

    /// One subject's distribution, exactly as `winnow distribution --of OF [--against A] [--snapshot S] --json`.
    func distribution(of: String, against: String?, snapshot: String?) throws -> DistributionReport {
        let store = app.store
        return try store.distribution(of: try store.distributionSubject(of), against: try Dashboard.checkedAgainst(against), snapshot: snapshot)
    }

    /// Labels and every dimension of the taxonomy, each against the CLI's default reference
    /// (uniform for labels, the taxonomy's targets for a dimension; a dimension outside the
    /// taxonomy has none, so it is not listed). A subject the library refuses (no labelled
    /// samples, a dimension without targets) is listed with its message.
    func distributions(snapshot: String?) throws -> DistributionsDocument {
        let dimensions = try app.store.taxonomy().dimensions.map { "scene.\($0.name)" }
        var document = DistributionsDocument(distributions: [], unavailable: [])
        for of in ["labels"] + dimensions {
            do {
                document.distributions.append(try distribution(of: of, against: nil, snapshot: snapshot))
            } catch let error as WinnowError {
                guard case .invalidArgument = error else { throw error }
                document.unavailable.append(.init(of: of, message: ServeApp.message(error)))
            }
        }
        return document
    }

    /// `GET /api/dashboard/…`: the figures of the page of the same name.
    func json(_ request: ServeRequest, _ parts: [String]) throws -> ServeResponse {
        let store = app.store
        let snapshot = Dashboard.value(request, "snapshot")
        switch parts {
        case ["coverage"]:
            return .json(CoverageDocument(dimensions: try coverage(snapshot: snapshot)))
        case ["distribution"]:
            if let of = Dashboard.value(request, "of") {
                return .json(try distribution(of: of, against: Dashboard.value(request, "against"), snapshot: snapshot))
            }
            return .json(try distributions(snapshot: snapshot))
        case ["flags"]:
            return .json(FlagsDocument(detectors: try store.flagSummary()))
        case ["progress"]:
            return .json(ProgressDocument(queues: try store.queueStatuses()))
        case ["snapshots"]:
            return .json(SnapshotsDocument(snapshots: try store.snapshots()))
        case ["snapshots", "diff"]:
            guard let from = Dashboard.value(request, "from"), let to = Dashboard.value(request, "to") else {
                throw WinnowError.invalidArgument("a snapshot diff needs from=NAME and to=NAME (the older and the newer snapshot)")
            }
            var limit: Int?
            if let text = Dashboard.value(request, "limit") {
                guard let n = Int(text), n >= 0 else { throw WinnowError.invalidArgument("limit=\(text): give a whole number, 0 or more") }
                limit = n
            }
            return .json(try store.diffSnapshots(from, to, limit: limit))
        default:
            throw WinnowError.notFound("no dashboard API at \(request.path); there are /api/dashboard/coverage, distribution, flags, progress, snapshots and snapshots/diff")
        }
    }

    // MARK: pages

    /// `GET /dashboard/…`.
    func page(_ request: ServeRequest, _ parts: [String]) -> ServeResponse {
        let snapshot = Dashboard.value(request, "snapshot")
        do {
            switch parts {
            case []: return .html(index())
            case ["coverage"]: return .html(try coveragePage(snapshot: snapshot))
            case ["distribution"]: return .html(try distributionPage(snapshot: snapshot))
            case ["flags"]: return .html(try flagsPage())
            case ["progress"]: return .html(try progressPage())
            case ["snapshots"]: return try snapshotsPage(from: Dashboard.value(request, "from"), to: Dashboard.value(request, "to"))
            default: return .html(Pages.message(title: "Not found", text: "No page at \(request.path)."), status: 404)
            }
        } catch {
            return .html(
                shell(title: "Dashboard", trail: "", body: "<p class=\"empty\">\(Dashboard.e(ServeApp.message(error)))</p>"), status: ServeApp.status(error))
        }
    }

    /// A dashboard page: the header with its trail under "dashboards", then `body`.
    private func shell(title: String, trail: String, body: String) -> String {
        let crumbs = " › <a href=\"/dashboard\">dashboards</a>" + (trail.isEmpty ? "" : " › \(trail)")
        return HTML.page(
            title: title,
            body: Pages.header(reviewer: context.reviewer, csrf: context.session.csrf, trail: crumbs) + "<main class=\"dashboard\"><h1>\(Dashboard.e(title))</h1>\(body)</main>",
            csrf: context.session.csrf)
    }

    private func index() -> String {
        let entries: [(String, String, String)] = [
            ("coverage", "Coverage", "each dimension's categories against their targets; gaps (missing, under target) highlighted"),
            ("distribution", "Distributions", "labels and scene categories against the reference (uniform labels, the taxonomy's targets), with KL and JS"),
            ("flags", "Flags", "per detector: open, confirmed and dismissed flags, and the measured precision"),
            ("progress", "Review progress", "per queue: pending, claimed, decided and disagreements; each queue's agreement"),
            ("snapshots", "Snapshots", "the snapshots, and what changed between two of them"),
        ]
        let items = entries.map { "<li><a href=\"/dashboard/\($0.0)\">\($0.1)</a>: \(Dashboard.e($0.2))</li>" }.joined()
        return HTML.page(
            title: "Dashboards",
            body: Pages.header(reviewer: context.reviewer, csrf: context.session.csrf, trail: " › dashboards")
                + "<main class=\"dashboard\"><h1>Dashboards</h1><ul class=\"dashboards\">\(items)</ul>"
                + "<p>Each page's figures are also JSON under <code>/api/dashboard/…</code>, in the field names of the CLI's <code>--json</code>.</p></main>",
            csrf: context.session.csrf)
    }

    /// A GET form choosing the live store or a snapshot, for coverage and distributions.
    private func snapshotChooser(action: String, chosen: String?) throws -> String {
        let names = try app.store.snapshotNames()
        if names.isEmpty { return "" }
        let options =
            "<option value=\"\">the live store</option>"
            + names.map { "<option value=\"\(Dashboard.e($0))\"\($0 == chosen ? " selected" : "")>snapshot \(Dashboard.e($0))</option>" }.joined()
        return
            "<form method=\"get\" action=\"\(action)\" class=\"choose\"><label>over <select name=\"snapshot\">\(options)</select></label> <button type=\"submit\">show</button></form>"
    }

    private static func over(_ snapshot: String?) -> String {
        snapshot.map { "<p>Over snapshot <strong>\(e($0))</strong>'s members as frozen; categories, targets and weights from the current taxonomy.</p>" }
            ?? "<p>Over the active samples' current annotations.</p>"
    }

    /// Decimals as the CLI's human output shows them; `-` for none.
    static func decimal(_ value: Double?, _ places: Int = 3) -> String {
        guard let value else { return "-" }
        return String(format: "%.\(places)f", value)
    }

    // MARK: coverage

    private func coveragePage(snapshot: String?) throws -> String {
        let reports = try coverage(snapshot: snapshot)
        var body = try snapshotChooser(action: "/dashboard/coverage", chosen: snapshot) + Dashboard.over(snapshot)
        if reports.isEmpty {
            body += "<p class=\"empty\">No dimensions yet: load a taxonomy (<code>winnow taxonomy load FILE</code>) or annotate scenes (<code>winnow annotate</code>).</p>"
        }
        for report in reports { body += Dashboard.coverageSection(report) }
        return shell(title: "Coverage", trail: "coverage", body: body)
    }

    /// One dimension: its figures, a bar per category with its target marked, and the table.
    static func coverageSection(_ r: CoverageReport) -> String {
        var out = "<section class=\"dimension\"><h2>\(e(r.dimension))</h2>"
        if r.categories.isEmpty {
            let seen = r.unknown.isEmpty ? "none" : r.unknown.joined(separator: ", ")
            return out + "<p>Not in the taxonomy, so no coverage to measure; categories seen: \(e(seen)); unannotated \(r.unannotated).</p></section>"
        }
        out += """
            <p class="figures">scene coverage <strong>\(decimal(r.sceneCoverage))</strong> · sample coverage <strong>\(decimal(r.sampleCoverage))</strong> · \
            covered fill <strong>\(decimal(r.coveredFill))</strong> · unannotated <strong>\(r.unannotated)</strong></p>
            """
        let scale = Double(max(1, r.categories.map { max($0.count, $0.target ?? 0) }.max() ?? 1))
        var svg = ""
        for (i, c) in r.categories.enumerated() {
            let y = 6 + Double(i) * Chart.rowHeight
            let gap = c.status == "missing" || c.status == "under"
            if gap { svg += Chart.rect(x: 0, y: y, width: Chart.width, height: Chart.rowHeight, fill: Chart.Colour.gapRow, className: "gap") }
            svg += Chart.name(c.category, row: y)
            let tip = "\(c.category): \(c.count)\(c.target.map { " of target \($0)" } ?? "") · \(c.status)"
            svg += Chart.stacked([(c.count, colour(status: c.status), tip)], row: y, scale: scale)
            if let target = c.target {
                let x = Chart.nameWidth + Double(target) / scale * Chart.barWidth
                svg += Chart.line(x1: x, y1: y + 1, x2: x, y2: y + Chart.rowHeight - 1, title: "\(c.category): target \(target)")
            }
            var figures = "\(c.count)" + (c.target.map { " / \($0)" } ?? " · no target")
            figures += " · \(c.status)" + (c.needed > 0 ? " · needs \(c.needed)" : "")
            svg += Chart.text(x: Chart.figuresX, y: y + Chart.rowHeight / 2 + 4.5, figures, fill: gap ? Chart.Colour.missing : Chart.Colour.ink, bold: gap)
        }
        let legendY = 6 + Double(r.categories.count) * Chart.rowHeight + 8
        svg += Chart.legend(
            [(Chart.Colour.ok, "ok"), (Chart.Colour.under, "under"), (Chart.Colour.missing, "missing"), (Chart.Colour.over, "over"), (Chart.Colour.ink, "target")], y: legendY)
        out += Chart.svg(height: legendY + 20, label: "coverage of \(r.dimension): count per category against its target", svg)
        let rows = r.categories.map { c in
            let status = c.status == "missing" || c.status == "under" ? "<strong class=\"gap\">\(e(c.status))</strong>" : e(c.status)
            return "<tr><td>\(e(c.category))</td><td>\(c.count)</td><td>\(c.target.map(String.init) ?? "")</td><td>\(decimal(c.fill, 2))</td>"
                + "<td>\(decimal(c.weight, 2))</td><td>\(status)</td><td>\(c.needed)</td></tr>"
        }.joined()
        out +=
            "<table class=\"figures\"><thead><tr><th>category</th><th>count</th><th>target</th><th>fill</th><th>weight</th><th>status</th><th>needed</th></tr></thead><tbody>\(rows)</tbody></table>"
        if !r.unknown.isEmpty { out += "<p>Unknown categories (not in the taxonomy): \(e(r.unknown.joined(separator: ", ")))</p>" }
        return out + "</section>"
    }

    static func colour(status: String) -> String {
        switch status {
        case "ok": return Chart.Colour.ok
        case "under": return Chart.Colour.under
        case "over": return Chart.Colour.over
        default: return Chart.Colour.missing
        }
    }

    // MARK: distributions

    private func distributionPage(snapshot: String?) throws -> String {
        let document = try distributions(snapshot: snapshot)
        var body = try snapshotChooser(action: "/dashboard/distribution", chosen: snapshot)
        body +=
            "<p>P is the dataset\(snapshot.map { " (snapshot \(Dashboard.e($0)))" } ?? ""), Q the reference: uniform over the labels, the taxonomy's targets for a dimension (as <code>winnow distribution</code> by default). Logs are base 2. A dimension outside the taxonomy has no default reference: compare it with <code>winnow distribution --of scene.DIM --against FILE</code>.</p>"
        for report in document.distributions { body += Dashboard.distributionSection(report) }
        for missing in document.unavailable {
            body += "<section class=\"distribution\"><h2>\(Dashboard.e(missing.of))</h2><p class=\"empty\">\(Dashboard.e(missing.message))</p></section>"
        }
        return shell(title: "Distributions", trail: "distributions", body: body)
    }

    /// One subject: KL and JS, a P bar and a Q bar per category, and the table.
    static func distributionSection(_ report: DistributionReport) -> String {
        let d = report.divergence
        var out = "<section class=\"distribution\"><h2>\(e(report.of)) against \(e(report.against))</h2>"
        out +=
            "<p class=\"figures\">KL(P‖Q) <strong>\(decimal(d.klPQ, 4))</strong> bits · KL(Q‖P) <strong>\(decimal(d.klQP, 4))</strong> bits · JS <strong>\(decimal(d.js, 4))</strong> bits</p>"
        let scale = max(d.categories.map { max($0.p, $0.q) }.max() ?? 0, 1e-12)
        var svg = ""
        for (i, c) in d.categories.enumerated() {
            let y = 6 + Double(i) * Chart.rowHeight
            svg += Chart.name(c.category, row: y)
            svg += Chart.rect(
                x: Chart.nameWidth, y: y + 3, width: c.p / scale * Chart.barWidth, height: 8, fill: Chart.Colour.over,
                title: "\(c.category): P \(decimal(c.p)) (\(c.count) samples)")
            svg += Chart.rect(
                x: Chart.nameWidth, y: y + 12, width: c.q / scale * Chart.barWidth, height: 8, fill: Chart.Colour.reference,
                title: "\(c.category): Q \(decimal(c.q))")
            svg += Chart.text(x: Chart.figuresX, y: y + Chart.rowHeight / 2 + 4.5, "P \(decimal(c.p)) · Q \(decimal(c.q)) · factor \(decimal(c.factor, 2))")
        }
        let legendY = 6 + Double(d.categories.count) * Chart.rowHeight + 8
        svg += Chart.legend([(Chart.Colour.over, "P (dataset)"), (Chart.Colour.reference, "Q (\(report.against))")], y: legendY)
        out += Chart.svg(height: legendY + 20, label: "\(report.of): P and Q per category", svg)
        let rows = d.categories.map { c in
            "<tr><td>\(e(c.category))</td><td>\(c.count)</td><td>\(decimal(c.p, 4))</td><td>\(decimal(c.q, 4))</td><td>\(decimal(c.factor))</td><td>\(c.targetCount)</td></tr>"
        }.joined()
        out +=
            "<table class=\"figures\"><thead><tr><th>category</th><th>count</th><th>p</th><th>q</th><th>factor</th><th>target count</th></tr></thead><tbody>\(rows)</tbody></table>"
        if !d.smoothed.isEmpty { out += "<p>Zero probabilities replaced by ε = 1e-9 for KL in: \(e(d.smoothed.joined(separator: ", ")))</p>" }
        return out + "</section>"
    }

    // MARK: flags

    private func flagsPage() throws -> String {
        let rows = try app.store.flagSummary()
        guard !rows.isEmpty else {
            return shell(title: "Flags", trail: "flags", body: "<p class=\"empty\">No flags yet: run <code>winnow detect</code>.</p>")
        }
        let unjudged = rows.contains { $0.unjudged > 0 }
        let scale = Double(max(1, rows.map { $0.open + $0.confirmed + $0.dismissed + $0.unjudged }.max() ?? 1))
        var svg = ""
        for (i, r) in rows.enumerated() {
            let y = 6 + Double(i) * Chart.rowHeight
            svg += Chart.name(r.detector, row: y)
            svg += Chart.stacked(
                [
                    (r.confirmed, Chart.Colour.missing, "\(r.detector): \(r.confirmed) confirmed"),
                    (r.dismissed, Chart.Colour.ok, "\(r.detector): \(r.dismissed) dismissed"),
                    (r.open, Chart.Colour.neutral, "\(r.detector): \(r.open) open"),
                    (r.unjudged, Chart.Colour.light, "\(r.detector): \(r.unjudged) unjudged"),
                ], row: y, scale: scale)
            svg += Chart.text(x: Chart.figuresX, y: y + Chart.rowHeight / 2 + 4.5, "precision \(Dashboard.decimal(r.precision, 2))", bold: true)
        }
        let legendY = 6 + Double(rows.count) * Chart.rowHeight + 8
        svg += Chart.legend(
            [(Chart.Colour.missing, "confirmed"), (Chart.Colour.ok, "dismissed"), (Chart.Colour.neutral, "open")] + (unjudged ? [(Chart.Colour.light, "unjudged")] : []),
            y: legendY)
        let table = rows.map { r in
            "<tr><td>\(Dashboard.e(r.detector))</td><td>\(r.open)</td><td>\(r.confirmed)</td><td>\(r.dismissed)</td>"
                + (unjudged ? "<td>\(r.unjudged)</td>" : "") + "<td>\(Dashboard.decimal(r.precision, 2))</td></tr>"
        }.joined()
        let body =
            "<p>precision = confirmed / (confirmed + dismissed), over the flags reviewers judged (as <code>winnow flags summary</code>).</p>"
            + Chart.svg(height: legendY + 20, label: "flags per detector: confirmed, dismissed, open", svg)
            + "<table class=\"figures\"><thead><tr><th>detector</th><th>open</th><th>confirmed</th><th>dismissed</th>\(unjudged ? "<th>unjudged</th>" : "")<th>precision</th></tr></thead><tbody>\(table)</tbody></table>"
        return shell(title: "Flags", trail: "flags", body: body)
    }

    // MARK: review progress

    /// A queue's progress as one stacked bar scaled to its items.
    static func progressSegments(_ q: QueueStatus) -> [(value: Int, fill: String, title: String)] {
        [
            (q.decided, Chart.Colour.ok, "\(q.queue): \(q.decided) decided"),
            (q.disagreements, Chart.Colour.missing, "\(q.queue): \(q.disagreements) disagreements"),
            (q.claimed, Chart.Colour.under, "\(q.queue): \(q.claimed) claimed"),
            (q.pending, Chart.Colour.light, "\(q.queue): \(q.pending) pending"),
        ]
    }

    static let progressLegend: [(fill: String, name: String)] = [
        (Chart.Colour.ok, "decided"), (Chart.Colour.missing, "disagreements"), (Chart.Colour.under, "claimed"), (Chart.Colour.light, "pending"),
    ]

    private func progressPage() throws -> String {
        let queues = try app.store.queueStatuses()
        guard !queues.isEmpty else {
            return shell(title: "Review progress", trail: "progress", body: "<p class=\"empty\">No queues yet: make one with <code>winnow queue create NAME</code>.</p>")
        }
        var svg = ""
        for (i, q) in queues.enumerated() {
            let y = 6 + Double(i) * Chart.rowHeight
            svg += Chart.name(q.queue, row: y)
            // Each bar is its own queue's items (full width), so queues of any size compare as shares.
            svg += Chart.stacked(Dashboard.progressSegments(q), row: y, scale: Double(max(1, q.items)))
            svg += Chart.text(x: Chart.figuresX, y: y + Chart.rowHeight / 2 + 4.5, "\(q.decided) of \(q.items) decided")
        }
        let legendY = 6 + Double(queues.count) * Chart.rowHeight + 8
        svg += Chart.legend(Dashboard.progressLegend, y: legendY)
        let rows = queues.map { q in
            "<tr><td><a href=\"/queues/\(Dashboard.e(HTML.pathSegment(q.queue)))/progress\">\(Dashboard.e(q.queue))</a></td><td>\(q.items)</td><td>\(q.pending)</td>"
                + "<td>\(q.claimed)</td><td>\(q.decided)</td><td>\(q.disagreements)</td><td>\(q.overlap)</td></tr>"
        }.joined()
        let body =
            "<p>Each bar is one queue's items (as <code>winnow queue list</code>); a queue's name opens its progress and agreement.</p>"
            + Chart.svg(height: legendY + 20, label: "review progress per queue", svg)
            + "<table class=\"figures\"><thead><tr><th>queue</th><th>items</th><th>pending</th><th>claimed</th><th>decided</th><th>disagreements</th><th>overlap</th></tr></thead><tbody>\(rows)</tbody></table>"
        return shell(title: "Review progress", trail: "progress", body: body)
    }

    /// `GET /queues/NAME/progress`: the queue's progress (`queue status`) and the agreement
    /// between its reviewers (`review agreement`: Cohen's kappa for two, Fleiss' for more).
    func queuePage(_ name: String) -> ServeResponse {
        let e = Dashboard.e
        let path = "/queues/\(HTML.pathSegment(name))"
        let trail = " › <a href=\"\(e(path))\">\(e(name))</a> · progress"
        do {
            let q = try app.store.queueStatus(name)
            let a = try app.store.agreement(queue: name)
            var svg = Chart.name(q.queue, row: 6) + Chart.stacked(Dashboard.progressSegments(q), row: 6, scale: Double(max(1, q.items)))
            svg += Chart.text(x: Chart.figuresX, y: 6 + Chart.rowHeight / 2 + 4.5, "\(q.decided) of \(q.items) decided")
            svg += Chart.legend(Dashboard.progressLegend, y: 6 + Chart.rowHeight + 8)
            var body = """
                <p class="figures">\(q.items) items · <strong>\(q.decided)</strong> decided · \(q.pending) pending · \(q.claimed) claimed · \
                <strong>\(q.disagreements)</strong> disagreements · overlap \(q.overlap)</p>
                """
            body += Chart.svg(height: 6 + Chart.rowHeight + 28, label: "progress of \(q.queue)", svg)
            body += "<h2>Agreement</h2>"
            if a.items == 0 {
                body +=
                    "<p class=\"empty\">No item has two reviewers' decisions yet, so there is no agreement to measure\(q.overlap < 2 ? " (the queue's overlap is 1: make one with <code>--overlap 2</code> for agreement)" : "").</p>"
            } else {
                let kappa: String
                if a.reviewers.count == 2 {
                    kappa = "Cohen's kappa <strong>\(Dashboard.decimal(a.cohenKappa))</strong> (two reviewers)"
                } else {
                    kappa = "Fleiss' kappa <strong>\(Dashboard.decimal(a.fleissKappa))</strong> (\(a.reviewers.count) reviewers)"
                }
                body += """
                    <p class="figures">\(a.items) items rated by two or more of \(e(a.reviewers.joined(separator: ", "))) · \
                    raw agreement <strong>\(Dashboard.decimal(a.rawAgreement))</strong> · \(kappa)</p>
                    <table class="figures"><thead><tr><th>raw agreement</th><th>Cohen's kappa</th><th>Fleiss' kappa</th></tr></thead>\
                    <tbody><tr><td>\(Dashboard.decimal(a.rawAgreement))</td><td>\(Dashboard.decimal(a.cohenKappa))</td><td>\(Dashboard.decimal(a.fleissKappa))</td></tr></tbody></table>
                    """
            }
            if !a.disagreements.isEmpty {
                let rows = a.disagreements.map { "<tr><td>\($0.item)</td><td class=\"uid\">\(e($0.uid))</td><td>\(e($0.decisions.joined(separator: "; ")))</td></tr>" }.joined()
                body += "<h2>Disagreements</h2><p>An adjudicator settles each (<code>winnow review decide ITEM --adjudicate</code>).</p>"
                body += "<table class=\"figures\"><thead><tr><th>item</th><th>uid</th><th>decisions</th></tr></thead><tbody>\(rows)</tbody></table>"
            }
            body += "<p><a href=\"\(e(path))\">review this queue</a> · <a href=\"/dashboard/progress\">every queue's progress</a></p>"
            return .html(
                HTML.page(
                    title: "\(name) · progress",
                    body: Pages.header(reviewer: context.reviewer, csrf: context.session.csrf, trail: trail)
                        + "<main class=\"dashboard\"><h1>\(e(name)): progress and agreement</h1>\(body)</main>",
                    csrf: context.session.csrf))
        } catch {
            return .html(Pages.message(title: "Error", text: ServeApp.message(error)), status: ServeApp.status(error))
        }
    }

    // MARK: snapshots

    private func snapshotsPage(from: String?, to: String?) throws -> ServeResponse {
        let all = try app.store.snapshots()
        guard !all.isEmpty else {
            return .html(shell(title: "Snapshots", trail: "snapshots", body: "<p class=\"empty\">No snapshots yet: make one with <code>winnow snapshot create NAME</code>.</p>"))
        }
        let e = Dashboard.e
        let scale = Double(max(1, all.map(\.members).max() ?? 1))
        var svg = ""
        for (i, s) in all.enumerated() {
            let y = 6 + Double(i) * Chart.rowHeight
            svg += Chart.name(s.name, row: y)
            svg += Chart.stacked([(s.members, Chart.Colour.over, "\(s.name): \(s.members) members")], row: y, scale: scale)
            svg += Chart.text(x: Chart.figuresX, y: y + Chart.rowHeight / 2 + 4.5, "\(s.members) members")
        }
        let rows = all.map { s in
            "<tr><td>\(e(s.name))</td><td>\(s.members)</td><td>\(e(s.createdAt))</td><td class=\"uid\">\(e(String(s.fingerprint.prefix(16))))</td><td>\(e(s.message ?? ""))</td></tr>"
        }.joined()
        var body =
            "<p>Oldest first (as <code>winnow snapshot list</code>).</p>"
            + Chart.svg(height: 6 + Double(all.count) * Chart.rowHeight + 6, label: "members per snapshot", svg)
            + "<table class=\"figures\"><thead><tr><th>snapshot</th><th>members</th><th>created</th><th>fingerprint</th><th>message</th></tr></thead><tbody>\(rows)</tbody></table>"
        body += "<h2>Diff</h2>"
        guard all.count >= 2 else {
            return .html(shell(title: "Snapshots", trail: "snapshots", body: body + "<p class=\"empty\">A diff needs two snapshots; there is one so far.</p>"))
        }
        // The form starts at the two newest; the diff (which reads both member lists) is
        // computed once two are chosen.
        let older = from ?? all[all.count - 2].name
        let newer = to ?? all[all.count - 1].name
        func select(_ field: String, _ chosen: String) -> String {
            "<select name=\"\(field)\">" + all.map { "<option value=\"\(e($0.name))\"\($0.name == chosen ? " selected" : "")>\(e($0.name))</option>" }.joined() + "</select>"
        }
        body += """
            <form method="get" action="/dashboard/snapshots" class="choose"><label>from \(select("from", older))</label> \
            <label>to \(select("to", newer))</label> <button type="submit">diff</button></form>
            """
        var status = 200
        guard from != nil || to != nil else {
            body += "<p>Choose two snapshots and press diff: added, removed, content changed, relabeled and re-annotated samples (as <code>winnow snapshot diff</code>).</p>"
            return .html(shell(title: "Snapshots", trail: "snapshots", body: body))
        }
        do {
            body += Dashboard.diffSection(try app.store.diffSnapshots(older, newer, limit: Dashboard.diffLimit))
        } catch {
            status = ServeApp.status(error)
            body += "<p class=\"empty\">\(e(ServeApp.message(error)))</p>"
        }
        return .html(shell(title: "Snapshots", trail: "snapshots", body: body), status: status)
    }

    /// A snapshot diff: one bar per kind of change, then up to `diffLimit` uids of each.
    static func diffSection(_ d: SnapshotDiff) -> String {
        let kinds: [(key: String, name: String, count: Int)] = [
            ("added", "added", d.added), ("removed", "removed", d.removed), ("content_changed", "content changed", d.contentChanged),
            ("relabeled", "relabeled", d.relabeled), ("reannotated", "re-annotated", d.reannotated),
        ]
        var out = """
            <p class="figures">\(e(d.from)) → \(e(d.to)): <strong>\(d.added)</strong> added, <strong>\(d.removed)</strong> removed, \
            <strong>\(d.contentChanged)</strong> content changed, <strong>\(d.relabeled)</strong> relabeled, <strong>\(d.reannotated)</strong> re-annotated</p>
            """
        let scale = Double(max(1, kinds.map(\.count).max() ?? 1))
        var svg = ""
        for (i, kind) in kinds.enumerated() {
            let y = 6 + Double(i) * Chart.rowHeight
            svg += Chart.name(kind.name, row: y)
            svg += Chart.stacked([(kind.count, kind.key == "removed" ? Chart.Colour.missing : Chart.Colour.over, "\(kind.name): \(kind.count)")], row: y, scale: scale)
            svg += Chart.text(x: Chart.figuresX, y: y + Chart.rowHeight / 2 + 4.5, "\(kind.count)")
        }
        out += Chart.svg(height: 6 + Double(kinds.count) * Chart.rowHeight + 6, label: "changes from \(d.from) to \(d.to)", svg)
        for kind in kinds {
            guard let uids = d.uids?[kind.key], !uids.isEmpty else { continue }
            let more = kind.count > uids.count ? " and \(kind.count - uids.count) more" : ""
            out += "<p><strong>\(kind.name)</strong>: <span class=\"uid\">\(e(uids.joined(separator: ", ")))</span>\(more)</p>"
        }
        return out
    }
}

import Foundation
import WinnowKit

/// One HTTP request as the handlers see it, apart from any server library (the tests build
/// them by hand; `ReviewServer` builds them from the socket).
public struct ServeRequest: Sendable {
    public var method: String
    /// The path as sent (percent-encoded), without the query; `segments` decodes it.
    public var path: String
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: Data = Data()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
    }

    /// The path's segments, each percent-decoded (`/queues/two%20words` → queues, two words).
    var segments: [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// The value of cookie `name`.
    func cookie(_ name: String) -> String? {
        for part in (headers["cookie"] ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == name { return pair[1] }
        }
        return nil
    }

    /// The body's fields: a form (`application/x-www-form-urlencoded`, what forms and
    /// sendBeacon post) or a JSON object (what app.js and scripts post). Values of other JSON
    /// types are given as their JSON text (numbers as digits).
    /// `ignoring`: JSON fields of other types read elsewhere (`fieldValues`).
    func fields(ignoring: Set<String> = []) throws -> [String: String] {
        if body.isEmpty { return [:] }
        let type = (headers["content-type"] ?? "").lowercased()
        if type.hasPrefix("application/json") {
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw WinnowError.invalidArgument("the request body is not a JSON object")
            }
            var out: [String: String] = [:]
            for (key, value) in object where !ignoring.contains(key) {
                switch value {
                case let s as String: out[key] = s
                // JSON true/false arrive as NSNumber too (objCType "c"): a number field must be a number.
                case let n as NSNumber where String(cString: n.objCType) == "c":
                    throw WinnowError.invalidArgument("the field \(JSONText.quote(key)) must be a string or a number, not true or false")
                case let n as NSNumber: out[key] = n.stringValue
                case is NSNull: continue
                default: throw WinnowError.invalidArgument("the field \(JSONText.quote(key)) must be a string or a number")
                }
            }
            return out
        }
        guard let text = String(data: body, encoding: .utf8) else { throw WinnowError.invalidArgument("the request body is not UTF-8") }
        return ServeRequest.formFields(text)
    }

    /// Every value of the form field `name`, in order (check boxes repeat one name), or of the
    /// JSON body's array `name`.
    func fieldValues(_ name: String) throws -> [String] {
        if body.isEmpty { return [] }
        if (headers["content-type"] ?? "").lowercased().hasPrefix("application/json") {
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw WinnowError.invalidArgument("the request body is not a JSON object")
            }
            guard let value = object[name] else { return [] }
            guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
                throw WinnowError.invalidArgument("the field \(JSONText.quote(name)) must be an array of strings")
            }
            return list.compactMap { $0 as? String }
        }
        guard let text = String(data: body, encoding: .utf8) else { throw WinnowError.invalidArgument("the request body is not UTF-8") }
        return text.split(separator: "&").compactMap { pair -> String? in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return parts.first == name && parts.count > 1 ? parts[1] : nil
        }
    }

    /// `a=1&b=x+y` as fields (`+` is a space, `%XX` a byte).
    static func formFields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = parts.first, !key.isEmpty { out[key] = parts.count > 1 ? parts[1] : "" }
        }
        return out
    }
}

/// One HTTP response. Every response carries the security headers (`ServeApp.securityHeaders`).
public struct ServeResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func html(_ text: String, status: Int = 200) -> ServeResponse {
        ServeResponse(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: Data(text.utf8))
    }

    static func json<T: Encodable>(_ value: T, status: Int = 200) -> ServeResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return ServeResponse(status: status, headers: ["Content-Type": "application/json; charset=utf-8"], body: data + Data("\n".utf8))
    }

    static func redirect(_ location: String) -> ServeResponse {
        ServeResponse(status: 303, headers: ["Location": location])
    }

    /// 401 and nothing else: no body, no hint of what exists.
    static let unauthorized = ServeResponse(status: 401)
}

/// The web review: routes requests to pages and the JSON API, over the same library calls as
/// `winnow review next/decide/undo`. No socket here: `handle` is a plain function, and
/// `ReviewServer` puts it on a port.
public final class ServeApp: Sendable {
    let store: Store
    let sessions: SessionTable
    /// The lease a page's claim takes, in seconds; app.js renews it at a third of that.
    let leaseSeconds: Double

    /// The cookie that carries the session id.
    static let cookieName = "winnow_session"
    /// The largest request body read (a form or JSON document of a decision is a few hundred bytes).
    public static let maxBodyBytes = 1 << 20

    /// `signInToken`: the secret of the printed URL (`--token`; nil: a random one for this run).
    public init(store: Store, signInToken: String? = nil, leaseSeconds: Double = 600) {
        self.store = store
        self.sessions = SessionTable(signInToken: signInToken ?? SessionTable.randomToken())
        self.leaseSeconds = leaseSeconds
    }

    /// The token the sign-in URL carries.
    public var signInToken: String { sessions.signInToken }

    /// Headers on every response: scripts and styles from this server only (no inline script),
    /// no framing, no referrer to other sites (the sign-in URL holds the token; `same-origin`,
    /// not `no-referrer`, under which browsers send `Origin: null` on form posts), no caching.
    static let securityHeaders: [String: String] = [
        "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    ]

    /// Answers one request.
    public func handle(_ request: ServeRequest) -> ServeResponse {
        var response = route(request)
        for (name, value) in ServeApp.securityHeaders where response.headers[name] == nil { response.headers[name] = value }
        return response
    }

    private func route(_ request: ServeRequest) -> ServeResponse {
        let parts = request.segments
        // Signing in: the printed URL's token, then a name.
        if request.method == "GET", parts.isEmpty, request.query["token"] != nil {
            guard sessions.isSignInToken(request.query["token"]) else { return .unauthorized }
            return .html(Pages.signIn(token: signInToken, message: nil))
        }
        if request.method == "POST", parts == ["signin"] { return signIn(request) }

        let sessionID = request.cookie(ServeApp.cookieName)
        guard let sessionID, let session = sessions.session(sessionID) else { return .unauthorized }
        if request.method == "POST" {
            // A cross-site form cannot carry the cookie (SameSite=Strict) nor the token; a
            // browser's Origin, when sent, must also name this server as the Host header does.
            if let origin = request.headers["origin"], !ServeApp.isSameOrigin(origin, host: request.headers["host"]) {
                return ServeResponse(status: 403, body: Data("cross-origin request refused\n".utf8))
            }
            let fields = (try? request.fields()) ?? [:]
            let token = request.headers["x-csrf-token"] ?? fields["csrf"]
            guard let token, SessionTable.constantTimeEqual(token, session.csrf) else {
                return parts.first == "api"
                    ? .json(APIError(code: "csrf", message: "missing or wrong CSRF token; reload the page"), status: 403)
                    : .html(Pages.message(title: "Refused", text: "The form's CSRF token is missing or wrong; reload the page and try again."), status: 403)
            }
        }
        let context = Context(sessionID: sessionID, session: session)
        switch (request.method, parts.first ?? "") {
        case ("GET", "assets"): return Assets.response(parts.dropFirst().joined(separator: "/"))
        case (_, "api"): return API(app: self, context: context).handle(request, Array(parts.dropFirst()))
        default: return pages(request, parts, context)
        }
    }

    /// Whether an `Origin` header names the server the `Host` header names (scheme stripped,
    /// host and port compared exactly).
    static func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, let scheme = origin.range(of: "://") else { return false }
        return origin[scheme.upperBound...].lowercased() == host.lowercased()
    }

    /// Who is asking, once signed in.
    struct Context {
        var sessionID: String
        var session: ReviewSession
        var reviewer: String { session.reviewer }
    }

    private func signIn(_ request: ServeRequest) -> ServeResponse {
        let fields = (try? request.fields()) ?? [:]
        guard sessions.isSignInToken(fields["token"]) else { return .unauthorized }
        let reviewer: String
        do {
            reviewer = try Names.valid(fields["reviewer"] ?? "", .reviewer)
        } catch {
            return .html(Pages.signIn(token: signInToken, message: ServeApp.message(error)), status: 400)
        }
        let id = sessions.open(reviewer: reviewer)
        var response = ServeResponse.redirect("/")
        response.headers["Set-Cookie"] = "\(ServeApp.cookieName)=\(id); Path=/; HttpOnly; SameSite=Strict"
        return response
    }

    private func pages(_ request: ServeRequest, _ parts: [String], _ context: Context) -> ServeResponse {
        let csrf = context.session.csrf
        switch (request.method, parts.count) {
        case ("GET", 0):
            do {
                let flash = sessions.takeFlash(context.sessionID)
                return .html(Pages.queues(try store.queueStatuses(), reviewer: context.reviewer, csrf: csrf, flash: flash))
            } catch {
                return .html(Pages.message(title: "Error", text: ServeApp.message(error)), status: ServeApp.status(error))
            }
        case ("POST", 1) where parts[0] == "signout":
            sessions.close(context.sessionID)
            var response = ServeResponse.html(Pages.message(title: "Signed out", text: "You are signed out. Open the printed URL again to sign in.", assets: false))
            response.headers["Set-Cookie"] = "\(ServeApp.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
            return response
        case ("GET", 2) where parts[0] == "queues":
            return focus(queue: parts[1], context)
        case ("GET", 3) where parts[0] == "queues" && parts[2] == "disagreements":
            return disagreements(queue: parts[1], context)
        case ("GET", 3) where parts[0] == "queues" && parts[2] == "progress":
            return Dashboard(app: self, context: context).queuePage(parts[1])
        case ("GET", _) where parts.first == "dashboard":
            return Dashboard(app: self, context: context).page(request, Array(parts.dropFirst()))
        case ("POST", 3) where parts[0] == "queues" && parts[2] == "decide":
            var fields = (try? request.fields()) ?? [:]
            // A browser posts a textarea's line ends as CRLF whatever the text had: saved as LF.
            if fields["action"] == DecisionAction.edit.rawValue, let text = fields["text"] {
                fields["text"] = text.replacingOccurrences(of: "\r\n", with: "\n")
            }
            let back = "/queues/" + HTML.pathSegment(parts[1]) + (fields["back"] == "disagreements" ? "/disagreements" : "")
            do {
                let outcome = try decide(fields, reviewer: context.reviewer)
                sessions.setFlash(context.sessionID, Pages.outcomeLine(outcome))
            } catch {
                sessions.setFlash(context.sessionID, ServeApp.message(error))
            }
            return .redirect(back)
        case ("POST", 3) where parts[0] == "queues" && parts[2] == "undo":
            do {
                let outcome = try undo((try? request.fields()) ?? [:], reviewer: context.reviewer)
                sessions.setFlash(context.sessionID, "undone: \(outcome.action) of item \(outcome.item) (\(outcome.uid)); it is open again")
            } catch {
                sessions.setFlash(context.sessionID, ServeApp.message(error))
            }
            return .redirect("/queues/" + HTML.pathSegment(parts[1]))
        case ("GET", 1) where parts[0] == "browse":
            return browse(request, context)
        case ("POST", 2) where parts[0] == "browse" && parts[1] == "bulk":
            let query = BrowseQuery(request.query)
            var back = "/browse" + query.queryString()
            do {
                let bulk = try BrowseBulk(fields: try request.fields(), uids: try request.fieldValues("uid"))
                let outcome = try bulk.run(query, store: store, reviewer: context.reviewer)
                sessions.setFlash(context.sessionID, outcome.message)
                if let id = outcome.bulk { back += (back.contains("?") ? "&" : "?") + "undo=\(id)" }
            } catch {
                sessions.setFlash(context.sessionID, ServeApp.message(error))
            }
            return .redirect(back)
        case ("POST", 2) where parts[0] == "browse" && parts[1] == "undo":
            do {
                guard let text = try request.fields()["bulk"], let id = Int64(text) else {
                    throw WinnowError.invalidArgument("undo needs \"bulk\": the bulk decision's id")
                }
                let undone = try store.undoBulk(id, reviewer: context.reviewer)
                sessions.setFlash(context.sessionID, "undone: bulk \(undone.bulk), \(undone.undone) decision\(undone.undone == 1 ? "" : "s") (\(undone.action))")
            } catch {
                sessions.setFlash(context.sessionID, ServeApp.message(error))
            }
            return .redirect("/browse" + BrowseQuery(request.query).queryString())
        default:
            return .html(Pages.message(title: "Not found", text: "No page at \(request.path)."), status: 404)
        }
    }

    /// The browse page of the request's selection (a wrong value is shown above the form, not
    /// as an error page, so it can be corrected there).
    private func browse(_ request: ServeRequest, _ context: Context) -> ServeResponse {
        let query = BrowseQuery(request.query)
        let flash = sessions.takeFlash(context.sessionID)
        do {
            let choices = try store.selectionChoices()
            var page: BrowsePage?
            var problem: String?
            do {
                page = try BrowsePage.load(query, store: store)
            } catch let error as WinnowError {
                problem = error.description
            }
            return .html(
                Pages.browse(
                    query, page, error: problem, choices: choices, reviewer: context.reviewer, csrf: context.session.csrf, flash: flash,
                    lastBulk: request.query["undo"].flatMap { Int64($0) }),
                status: problem == nil ? 200 : 400)
        } catch {
            return .html(Pages.message(title: "Error", text: ServeApp.message(error)), status: ServeApp.status(error))
        }
    }

    /// The queue's disagreements, with the decisions that settle them.
    private func disagreements(queue: String, _ context: Context) -> ServeResponse {
        let flash = sessions.takeFlash(context.sessionID)
        do {
            var report = try store.agreement(queue: queue)
            // The unsettled ones: the report also lists those an adjudicator settled.
            let open = Set(try store.queueItems(queue, state: .disagreement).items.map(\.item))
            report.disagreements = report.disagreements.filter { open.contains($0.item) }
            var samples: [String: SampleSummary] = [:]
            if !report.disagreements.isEmpty {
                var filter = SampleFilter()
                filter.uids = report.disagreements.map(\.uid)
                for sample in try store.samples(filter).samples { samples[sample.uid] = sample }
            }
            let labels = try store.selectionChoices().labels
            return .html(Pages.disagreements(report, samples: samples, labels: labels, reviewer: context.reviewer, csrf: context.session.csrf, flash: flash))
        } catch {
            return .html(Pages.message(title: "Error", text: ServeApp.message(error)), status: ServeApp.status(error))
        }
    }

    /// The focus page: claims (or re-shows) the reviewer's next item of the queue.
    private func focus(queue: String, _ context: Context) -> ServeResponse {
        let flash = sessions.takeFlash(context.sessionID)
        do {
            guard let item = try store.nextItem(queue: queue, reviewer: context.reviewer, leaseSeconds: leaseSeconds) else {
                let status = try store.queueStatus(queue)
                let wait = try store.leaseWait(queue: queue, reviewer: context.reviewer)
                return .html(Pages.nothingLeft(status, wait: wait, reviewer: context.reviewer, csrf: context.session.csrf, flash: flash, now: store.clock.now()))
            }
            let labels = try store.labels(kind: item.kind).filter { $0 != item.label }
            return .html(
                Pages.focus(item, queue: queue, labels: labels, reviewer: context.reviewer, csrf: context.session.csrf, flash: flash, renewSeconds: max(1, leaseSeconds / 3)))
        } catch {
            return .html(Pages.message(title: "Error", text: ServeApp.message(error)), status: ServeApp.status(error))
        }
    }

    /// A decision from a form or the API's fields: `item`, `action`, `label` (relabel), `text`
    /// (edit: as `review decide --action edit --text` takes it), `note`.
    func decide(_ fields: [String: String], reviewer: String) throws -> DecisionOutcome {
        guard let itemText = fields["item"], let item = Int64(itemText) else {
            throw WinnowError.invalidArgument("a decision needs \"item\": the item id")
        }
        guard let actionText = fields["action"], let action = DecisionAction(rawValue: actionText) else {
            throw WinnowError.invalidArgument("\"action\" is one of keep, drop, relabel, edit, skip")
        }
        var request = DecisionRequest(item: item, reviewer: reviewer, action: action)
        if action == .relabel {
            guard let label = fields["label"], !label.isEmpty else {
                throw WinnowError.invalidArgument("a relabel needs \"label\": one of the labels the focus view lists")
            }
            request.label = label
        }
        if action == .edit {
            guard let text = fields["text"] else {
                throw WinnowError.invalidArgument("an edit needs \"text\": the sample's new text (a JSON object of its fields for other kinds than text)")
            }
            request.text = text
        }
        if let note = fields["note"], !note.isEmpty { request.note = note }
        // An adjudicator's decision settles a disagreement (`review decide --adjudicate`).
        request.adjudicate = fields["adjudicate"] == "1"
        return try store.decide(request)
    }

    /// Undoes the reviewer's last decision and, when it worked, gives up their lease on the item
    /// they were looking at (`item`, when given) so the reopened item is the one shown next, as
    /// the terminal review's `u` does.
    func undo(_ fields: [String: String], reviewer: String) throws -> DecisionOutcome {
        let outcome = try store.undo(reviewer: reviewer)
        if let text = fields["item"], let current = Int64(text), current != outcome.item {
            try store.release(item: current, reviewer: reviewer)
        }
        return outcome
    }

    /// The text a page or API error shows for `error`.
    static func message(_ error: Error) -> String {
        if let error = error as? WinnowError { return error.description }
        if let known = Store.userMessage(for: error) { return known.message }
        return "\(error)"
    }

    /// The HTTP status for a library error.
    static func status(_ error: Error) -> Int {
        guard let error = error as? WinnowError else { return 500 }
        switch error {
        case .invalidArgument, .unknownName: return 400
        case .notFound, .unknownSample: return 404
        case .alreadyExists, .leaseLost, .disagreement: return 409
        case .storeBusy: return 503
        default: return 500
        }
    }
}

/// The API's error document, as the CLI's `--json` errors: `{"error": {"code", "message"}}`.
struct APIError: Encodable {
    struct Detail: Encodable { var code: String; var message: String }
    var error: Detail
    init(code: String, message: String) { error = Detail(code: code, message: message) }
    init(_ error: Error) {
        self.init(code: (error as? WinnowError)?.code ?? "internal", message: ServeApp.message(error))
    }
}

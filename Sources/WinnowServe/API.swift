import Foundation
import WinnowKit

/// The JSON API under /api/, which the pages' script and any other script use. Field names
/// are the CLI's `--json` ones (SPEC section 11): a queue is `queue status --json`'s object,
/// an item `review next --json`'s, an outcome `review decide --json`'s. The reviewer is always
/// the session's; every POST carries the session's CSRF token (`X-CSRF-Token`, or a `csrf`
/// field in the body).
struct API {
    let app: ServeApp
    let context: ServeApp.Context

    struct Queues: Encodable { var queues: [QueueStatus] }
    /// `GET /api/queues/NAME/next`: the claimed item, or null with why (`wait`).
    struct Next: Encodable {
        @NullEncodable var item: ReviewItem?
        /// When `item` is null: the open items other reviewers' leases hold, and when the first frees.
        @NullEncodable var wait: LeaseWait?
    }
    struct Renewed: Encodable {
        var item: Int64
        var leaseExpiresAt: String
        enum CodingKeys: String, CodingKey {
            case item
            case leaseExpiresAt = "lease_expires_at"
        }
    }
    struct Released: Encodable { var item: Int64; var released: Bool }
    struct Me: Encodable { var reviewer: String }

    func handle(_ request: ServeRequest, _ parts: [String]) -> ServeResponse {
        do {
            switch (request.method, parts) {
            case ("GET", ["session"]):
                return .json(Me(reviewer: context.reviewer))
            case ("GET", ["queues"]):
                return .json(Queues(queues: try app.store.queueStatuses()))
            case ("GET", let p) where p.count == 2 && p[0] == "queues":
                return .json(try app.store.queueStatus(p[1]))
            case ("GET", let p) where p.count == 3 && p[0] == "queues" && p[2] == "next":
                let item = try app.store.nextItem(queue: p[1], reviewer: context.reviewer, leaseSeconds: app.leaseSeconds)
                let wait = item == nil ? try app.store.leaseWait(queue: p[1], reviewer: context.reviewer) : nil
                return .json(Next(item: item, wait: wait))
            case ("GET", ["samples"]):
                return .json(try BrowsePage.load(BrowseQuery(request.query), store: app.store))
            case ("POST", ["bulk"]):
                let fields = try request.fields(ignoring: ["uids"])
                let bulk = try BrowseBulk(fields: fields, uids: try request.fieldValues("uids") + (try request.fieldValues("uid")))
                return .json(try bulk.run(BrowseQuery(fields), store: app.store, reviewer: context.reviewer))
            case ("POST", ["bulk", "undo"]):
                guard let text = try request.fields()["bulk"], let id = Int64(text) else {
                    throw WinnowError.invalidArgument("the request needs \"bulk\": the bulk decision's id")
                }
                return .json(try app.store.undoBulk(id, reviewer: context.reviewer))
            case ("GET", let p) where p.count == 3 && p[0] == "queues" && p[2] == "agreement":
                return .json(try app.store.agreement(queue: p[1]))
            case ("GET", let p) where p.first == "dashboard":
                return try Dashboard(app: app, context: context).json(request, Array(p.dropFirst()))
            case ("POST", ["decide"]):
                return .json(try app.decide(try request.fields(), reviewer: context.reviewer))
            case ("POST", ["undo"]):
                return .json(try app.undo(try request.fields(), reviewer: context.reviewer))
            case ("POST", ["renew"]):
                let item = try itemField(request)
                let expires = try app.store.renewLease(item: item, reviewer: context.reviewer, leaseSeconds: app.leaseSeconds)
                return .json(Renewed(item: item, leaseExpiresAt: expires))
            case ("POST", ["release"]):
                let item = try itemField(request)
                // `lease`: the expiry the page holds; a release from a page reloaded since leaves the new claim.
                let released = try app.store.release(item: item, reviewer: context.reviewer, expiringAt: try request.fields()["lease"])
                return .json(Released(item: item, released: released))
            default:
                return .json(APIError(code: "not_found", message: "no API endpoint \(request.method) \(request.path); see the README's Web review section"), status: 404)
            }
        } catch {
            return .json(APIError(error), status: ServeApp.status(error))
        }
    }

    private func itemField(_ request: ServeRequest) throws -> Int64 {
        guard let text = try request.fields()["item"], let item = Int64(text) else {
            throw WinnowError.invalidArgument("the request needs \"item\": the item id")
        }
        return item
    }
}

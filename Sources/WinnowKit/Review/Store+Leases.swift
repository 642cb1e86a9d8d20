import Foundation
import GRDB

/// Why `nextItem` gave nothing: what is still open in the queue but leased to other reviewers,
/// so a reviewer is told "12 items leased by others, the next frees at …", never a bare
/// "nothing left".
public struct LeaseWait: Codable, Sendable, Equatable {
    /// Open items this reviewer has not decided that others' live leases keep from them.
    public var leasedByOthers: Int
    /// When the first of those leases expires (nil when there is none).
    @NullEncodable public var nextFreeAt: String?

    enum CodingKeys: String, CodingKey {
        case leasedByOthers = "leased_by_others"
        case nextFreeAt = "next_free_at"
    }
}

extension Store {
    /// Extends `reviewer`'s live lease on `item` to `leaseSeconds` from now (a review page kept
    /// open). A lease that already ran out, or an item settled meanwhile, is `leaseLost`: the
    /// item may be someone else's by now, so it is never claimed again here.
    public func renewLease(item: Int64, reviewer: String, leaseSeconds: Double = 600) throws -> String {
        let reviewer = try Names.valid(reviewer, .reviewer)
        return try writeImmediate { db in
            let now = clock.now()
            let nowText = Timestamp.string(now)
            let expires = Timestamp.string(now.addingTimeInterval(leaseSeconds))
            try db.execute(
                sql: """
                    UPDATE leases SET expires_at = ? WHERE item_id = ? AND reviewer = ? AND expires_at > ?
                      AND EXISTS (SELECT 1 FROM queue_items qi WHERE qi.id = leases.item_id AND qi.resolved_at IS NULL)
                    """, arguments: [expires, item, reviewer, nowText])
            guard db.changesCount == 1 else {
                throw WinnowError.leaseLost(
                    "lease lost: \(reviewer) holds no live lease on item \(item) (it expired, was released or the item was decided); nothing was renewed — take the next item"
                )
            }
            return expires
        }
    }

    /// The open items of `queue` that `reviewer` could still review but other reviewers' live
    /// leases hold, and when the first of those leases expires.
    public func leaseWait(queue name: String, reviewer: String) throws -> LeaseWait {
        let reviewer = try Names.valid(reviewer, .reviewer)
        return try read { db in
            let (queue, overlap) = try Store.queueID(db, name)
            let now = Timestamp.string(clock.now())
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*) AS n, min((SELECT min(l.expires_at) FROM leases l WHERE l.item_id = qi.id AND l.expires_at > ?2 AND l.reviewer <> ?3)) AS next
                    FROM queue_items qi
                    WHERE qi.queue_id = ?1 AND qi.resolved_at IS NULL
                      AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = qi.id AND d.reviewer = ?3 AND d.undone_at IS NULL)
                      AND EXISTS (SELECT 1 FROM leases l WHERE l.item_id = qi.id AND l.expires_at > ?2 AND l.reviewer <> ?3)
                      AND (SELECT count(*) FROM decisions d WHERE d.item_id = qi.id AND d.undone_at IS NULL AND d.action <> ?4)
                        + (SELECT count(*) FROM leases l WHERE l.item_id = qi.id AND l.expires_at > ?2 AND l.reviewer <> ?3) >= ?5
                    """, arguments: [queue, now, reviewer, DecisionAction.skip, overlap])
            return LeaseWait(
                leasedByOthers: try row?.value("n", as: Int?.self) ?? 0,
                nextFreeAt: try row?.value("next", as: String?.self))
        }
    }
}

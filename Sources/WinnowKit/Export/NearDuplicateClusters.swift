import Foundation
import GRDB

/// The near-duplicate clusters `--group near-duplicate` keeps in one split: per sample, the key
/// of its cluster (`c` and the sample id of the cluster's representative, its earliest member).
enum NearDuplicateClusters {
    /// From the near-duplicate flags in the store now, of any status: a flagged sample and the
    /// representative its flag names are in that cluster (a sample flagged twice: its last flag's).
    static func live(_ db: Database) throws -> [Int64: String] {
        var clusterOf: [Int64: String] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT sample_id, json_extract(details, '$.cluster') AS cluster FROM flags WHERE detector = ?
            """, arguments: [DetectorName.nearDuplicate.rawValue])
        while let r = try rows.next() {
            if let c: Int64 = try r.value("cluster") { clusterOf[try r.value("sample_id")] = "c\(c)"; clusterOf[c] = "c\(c)" }
        }
        return clusterOf
    }
}

import Foundation
import GRDB

/// Counts for the metrics, taken with SQL over the live store.
extension Store {
    /// Active samples per category of a dimension (current annotations only), and how many
    /// active samples have no category in it. Read from `scene_counts`, which triggers keep.
    static func sceneCounts(_ db: Database, dimension: String) throws -> (counts: [String: Int], unannotated: Int) {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT category, count FROM scene_counts WHERE dimension = ? AND count > 0",
                                    arguments: [dimension]) {
            counts[row["category"]] = row["count"]
        }
        let annotated = counts.values.reduce(0, +)
        return (counts, max(0, try activeCount(db) - annotated))
    }

    static func activeCount(_ db: Database) throws -> Int {
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples") ?? 0
        // Matches the partial index samples_by_status, so only non-active samples are read.
        let inactive = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples WHERE status <> 'active'") ?? 0
        return total - inactive
    }

    /// Dimensions to report: the taxonomy's, then any others that have annotations.
    static func dimensionNames(_ db: Database, taxonomy: Taxonomy) throws -> [String] {
        var names = taxonomy.dimensions.map(\.name)
        for name in try String.fetchAll(db, sql: "SELECT DISTINCT dimension FROM scene_counts WHERE count > 0 ORDER BY dimension")
        where !names.contains(name) {
            names.append(name)
        }
        return names
    }

    /// Scene coverage per dimension (SPEC section 4).
    public func coverage(dimension: String? = nil, minCount: Int = 1, overFill: Double = 1.5) throws -> [CoverageReport] {
        try pool.read { db in
            let taxonomy = try Store.taxonomy(db)
            var names = try Store.dimensionNames(db, taxonomy: taxonomy)
            if let dimension {
                guard names.contains(dimension) else {
                    throw WinnowError.invalidArgument("no dimension '\(dimension)' in the taxonomy or the annotations; known: \(names.isEmpty ? "none (load one with `winnow taxonomy load FILE`)" : names.joined(separator: ", "))")
                }
                names = [dimension]
            }
            return try names.map { name in
                let specs = taxonomy.dimensions.first { $0.name == name }?.categories.map {
                    Coverage.Spec(name: $0.name, target: $0.target, weight: $0.weight)
                } ?? []
                let (counts, unannotated) = try Store.sceneCounts(db, dimension: name)
                return Coverage.report(dimension: name, categories: specs, counts: counts, unannotated: unannotated,
                                       minCount: minCount, overFill: overFill)
            }
        }
    }

    /// Active labelled samples per label, in label-index order: the taxonomy's order when it
    /// fixes one (labels it does not list follow by name), else by name.
    public func labelCounts() throws -> [(label: String, count: Int)] {
        try pool.read { db in try Store.labelCounts(db) }
    }

    static func labelCounts(_ db: Database) throws -> [(label: String, count: Int)] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT r.label, count(*) AS n FROM samples s JOIN revisions r ON r.id = s.revision_id
            WHERE s.status = 'active' AND r.label IS NOT NULL GROUP BY r.label
            """) {
            counts[row["label"]] = row["n"]
        }
        let fixed = try String.fetchAll(db, sql: "SELECT name FROM labels ORDER BY position")
        let order = fixed + counts.keys.filter { !fixed.contains($0) }.sorted()
        return order.map { ($0, counts[$0] ?? 0) }
    }
}

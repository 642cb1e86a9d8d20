import Foundation

/// Scene coverage of one dimension (SPEC section 4), computed from counts alone.
public struct CoverageReport: Codable, Sendable, Equatable {
    /// One category of the taxonomy with its count against its target.
    public struct Category: Codable, Sendable, Equatable {
        public var category: String
        public var count: Int
        @NullEncodable public var target: Int?
        /// n_c / n_c*, nil without a target.
        @NullEncodable public var fill: Double?
        /// w_c normalised over the dimension's categories.
        public var weight: Double
        /// `missing`, `under`, `ok` or `over`.
        public var status: String
        /// max(0, n_c* - n_c).
        public var needed: Int
        /// Of `count`, the samples `winnow augment` made (set by `coverage`; nil, and left out
        /// of the JSON, in the figures frozen with a snapshot and written in a manifest).
        public var augmented: Int? = nil
    }

    public var dimension: String
    public var sceneCoverage: Double
    public var sampleCoverage: Double
    @NullEncodable public var coveredFill: Double?
    public var unannotated: Int
    public var unknown: [String]
    public var categories: [Category]

    enum CodingKeys: String, CodingKey {
        case dimension, unannotated, unknown, categories
        case sceneCoverage = "scene_coverage"
        case sampleCoverage = "sample_coverage"
        case coveredFill = "covered_fill"
    }
}

/// The coverage formulas, free of SQLite so they are tested on their own.
public enum Coverage {
    /// A category as the taxonomy defines it.
    public struct Spec: Sendable {
        public var name: String
        public var target: Int?
        public var weight: Double
        public init(name: String, target: Int?, weight: Double = 1) {
            self.name = name
            self.target = target
            self.weight = weight
        }
    }

    /// Coverage of one dimension.
    /// - Parameters:
    ///   - categories: the taxonomy's categories, in order.
    ///   - counts: active samples per category seen in the data (may include unknown ones).
    ///   - unannotated: active samples with no category in this dimension.
    ///   - minCount: m, the count from which a category counts as covered.
    ///   - overFill: the fill above which a category is `over`.
    public static func report(
        dimension: String, categories: [Spec], counts: [String: Int], unannotated: Int,
        minCount: Int = 1, overFill: Double = 1.5
    ) -> CoverageReport {
        let totalWeight = categories.reduce(0) { $0 + $1.weight }
        var rows: [CoverageReport.Category] = []
        var covered = 0
        var sampleCoverage = 0.0
        var coveredFills: [Double] = []
        for spec in categories {
            let n = counts[spec.name] ?? 0
            // Weights default to equal shares; all-zero weights fall back to equal too.
            let weight = totalWeight > 0 ? spec.weight / totalWeight : 1 / Double(max(categories.count, 1))
            var fill: Double? = nil
            if let target = spec.target, target > 0 { fill = Double(n) / Double(target) }
            let isCovered = n >= minCount
            if isCovered {
                covered += 1
                if let fill { coveredFills.append(fill) }
            }
            // A category without a positive target counts as fully supplied once covered.
            let contribution = fill.map { min(1, $0) } ?? (isCovered ? 1 : 0)
            sampleCoverage += weight * contribution
            let status: String
            if n == 0 { status = "missing" } else if let fill, fill > overFill { status = "over" } else if let fill, fill < 1 { status = "under" } else { status = "ok" }
            rows.append(
                .init(
                    category: spec.name, count: n, target: spec.target, fill: fill, weight: weight,
                    status: status, needed: max(0, (spec.target ?? 0) - n)))
        }
        let known = Set(categories.map(\.name))
        let unknown = counts.filter { !known.contains($0.key) && $0.value > 0 }.keys.sorted()
        return CoverageReport(
            dimension: dimension,
            sceneCoverage: categories.isEmpty ? 0 : Double(covered) / Double(categories.count),
            sampleCoverage: sampleCoverage,
            coveredFill: coveredFills.isEmpty ? nil : coveredFills.reduce(0, +) / Double(coveredFills.count),
            unannotated: unannotated,
            unknown: unknown,
            categories: rows)
    }
}

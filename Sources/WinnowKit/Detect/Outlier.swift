import Foundation

/// Outliers in feature space: each row's mean cosine distance to its k nearest neighbours
/// (exact, `VectorSearch.nearest`), and how far that lies above the group's typical one as a
/// robust z-score. Pure: no SQLite.
public enum Outliers {
    /// One row's neighbourhood: 1 − the mean cosine of its `k` nearest other rows, and the nearest.
    public struct Neighbourhood: Sendable, Equatable {
        public let meanDistance: Double
        public let nearest: Int
    }

    /// Each row's neighbourhood among the other rows (k is capped at rows − 1; empty below 2
    /// rows); with `among`, only the rows at those indices, and positions in it for rows.
    public static func neighbourhoods(_ matrix: VectorMatrix, k: Int, among subset: [Int]? = nil) -> [Neighbourhood] {
        guard (subset?.count ?? matrix.rows) > 1 else { return [] }
        let found =
            subset.map { VectorSearch.nearest(among: $0, of: matrix, k: k) } ?? VectorSearch.nearest(matrix, in: matrix, k: k, excludingSelf: true)
        return found.map { list in
            let mean = list.reduce(0.0) { $0 + Double($1.cosine) } / Double(list.count)
            return Neighbourhood(meanDistance: 1 - mean, nearest: list[0].index)
        }
    }

    /// The robust z-score of each value, 0.6745 · (x − median) / MAD (Iglewicz & Hoaglin), with
    /// the median and the MAD; nil when the MAD is 0 (over half the values equal: no spread to
    /// measure against, as `length-outlier` does).
    public static func robustZ(_ values: [Double]) -> (median: Double, mad: Double, z: [Double])? {
        let median = LengthOutlierDetector.median(values)
        let mad = LengthOutlierDetector.median(values.map { abs($0 - median) })
        guard mad > 0 else { return nil }
        return (median, mad, values.map { 0.6745 * ($0 - median) / mad })
    }
}

/// outlier: a sample nothing else is like. Its mean cosine distance to its k nearest
/// neighbours (default 10) has a robust z-score above `z` (default 3.5) among its group: the
/// samples of its label, so a sample is compared with its own class (the unlabelled samples
/// are a group of their own; a store without labels is one group). Only far samples are
/// flagged: being typical is no defect. A group of k samples or fewer is not checked.
public final class OutlierDetector: VectorDetector {
    public let name = DetectorName.outlier.rawValue
    let k: Int
    let bound: Double
    private var vectors: SampleVectors?

    public var parametersJSON: String {
        jsonObject([
            ("k", "\(k)"), ("z", jsonNumber(bound)), ("model", vectors.map { JSONText.quote($0.model.name) } ?? "null"),
            ("groups", "\"label\""),
        ])
    }

    public var wantsVectors: Bool { true }

    public init(k: Int = 10, z: Double = 3.5) {
        self.k = k
        self.bound = z
    }

    public func observe(_ sample: DetectSample) -> [DetectorHit] { [] }

    public func use(_ vectors: SampleVectors) { self.vectors = vectors }

    public func finish() -> [DetectorHit] {
        guard let v = vectors else { return [] }
        var groups: [String: [Int]] = [:]
        for i in 0..<v.matrix.rows { groups[v.labels[i] ?? "", default: []].append(i) }
        var hits: [DetectorHit] = []
        for (label, rows) in groups.sorted(by: { $0.key < $1.key }) where rows.count > k {
            // One group: the matrix as it is; else the group's rows, gathered a block at a time.
            let near = Outliers.neighbourhoods(v.matrix, k: k, among: groups.count == 1 ? nil : rows)
            guard let (median, mad, z) = Outliers.robustZ(near.map(\.meanDistance)) else { continue }
            let group = label.isEmpty ? "unlabelled samples" : "label '\(label)'"
            for (j, row) in rows.enumerated() where z[j] > bound {
                let d = near[j].meanDistance
                hits.append(
                    DetectorHit(
                        sampleID: v.sampleIDs[row], contentID: v.contentIDs[row], score: z[j],
                        reason:
                            "mean cosine distance \(String(format: "%.3f", d)) to its \(k) nearest neighbours of \(group), typical \(String(format: "%.3f", median)) (robust z \(String(format: "%.1f", z[j])))",
                        details: jsonObject([
                            ("label", JSONText.quote(label)), ("k", "\(k)"), ("mean_distance", jsonNumber(d)),
                            ("median_distance", jsonNumber(median)), ("mad", jsonNumber(mad)), ("z", jsonNumber(z[j])),
                            ("nearest", JSONText.quote(v.uids[rows[near[j].nearest]])), ("model", JSONText.quote(v.model.name)),
                        ])))
            }
        }
        return hits.sorted { $0.sampleID < $1.sampleID }
    }
}

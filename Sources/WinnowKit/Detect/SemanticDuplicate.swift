import Foundation

/// Semantic duplicates among unit-length vectors: every pair of rows whose cosine reaches a
/// threshold (exact, by `VectorSearch.forEachPair`'s blocked matrix products), joined into
/// clusters by union-find. Pure: no SQLite. Memory is O(rows), whatever the number of pairs:
/// each pair is folded into the union-find and the best matches as it is found.
public enum SemanticDuplicates {
    /// A row in a cluster whose representative (the cluster's earliest row) is another row.
    public struct Member: Sendable, Equatable {
        public let row: Int
        /// The earliest row of its cluster.
        public let representative: Int
        /// The row it is most similar to among those it reached the threshold with (earlier or
        /// later; ties: the lower row).
        public let match: Int
        public let cosine: Float

        public init(row: Int, representative: Int, match: Int, cosine: Float) {
            self.row = row
            self.representative = representative
            self.match = match
            self.cosine = cosine
        }
    }

    /// Every row that is in a cluster but is not its representative, in row order.
    public static func find(
        _ matrix: VectorMatrix, threshold: Float, workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [Member] {
        let n = matrix.rows
        guard n > 1 else { return [] }
        var parent = [Int32](0..<Int32(n))
        var best = [Float](repeating: -.infinity, count: n)
        var other = [Int32](repeating: -1, count: n)
        func find(_ x: Int32) -> Int32 {
            var x = x
            while parent[Int(x)] != x {
                parent[Int(x)] = parent[Int(parent[Int(x)])]
                x = parent[Int(x)]
            }
            return x
        }
        func note(_ a: Int32, _ b: Int32, _ c: Float) {
            if c > best[Int(a)] || (c == best[Int(a)] && b < other[Int(a)]) {
                best[Int(a)] = c
                other[Int(a)] = b
            }
        }
        // Calls are serialised by forEachPair: the arrays are touched by one thread at a time.
        VectorSearch.forEachPair(in: matrix, atLeast: threshold, workers: workers) { pairs in
            for p in pairs {
                let a = Int32(p.later), b = Int32(p.earlier)
                let ra = find(a), rb = find(b)
                // The earlier root wins, so a cluster's root is its earliest row.
                if ra != rb { if ra < rb { parent[Int(rb)] = ra } else { parent[Int(ra)] = rb } }
                note(a, b, p.cosine)
                note(b, a, p.cosine)
            }
        }
        var members: [Member] = []
        for i in 0..<n {
            let root = Int(find(Int32(i)))
            guard root != i, other[i] >= 0 else { continue }
            members.append(Member(row: i, representative: root, match: Int(other[i]), cosine: best[i]))
        }
        return members
    }
}

/// semantic-duplicate: a sample whose vector has cosine ≥ threshold (default 0.95) with an
/// earlier sample's. Clusters by union-find; the earliest sample of a cluster stays unflagged
/// and the others name it as representative, with the sample each is closest to and the
/// cosine. It finds paraphrases that share few words, which MinHash (near-duplicate) cannot.
public final class SemanticDuplicateDetector: VectorDetector {
    public let name = DetectorName.semanticDuplicate.rawValue
    let threshold: Double
    private var vectors: SampleVectors?

    public var parametersJSON: String {
        jsonObject([
            ("threshold", jsonNumber(threshold)), ("model", vectors.map { JSONText.quote($0.model.name) } ?? "null"),
            ("search", "\"exact, blocked matrix products\""),
        ])
    }

    public var wantsVectors: Bool { true }

    public init(threshold: Double = 0.95) { self.threshold = threshold }

    public func observe(_ sample: DetectSample) -> [DetectorHit] { [] }

    public func use(_ vectors: SampleVectors) { self.vectors = vectors }

    /// Each clustered sample with its cluster's representative (earliest member).
    public private(set) var clusters: [(sampleID: Int64, representativeID: Int64)] = []

    public func finish() -> [DetectorHit] {
        guard let v = vectors else { return [] }
        clusters = []
        var hits: [DetectorHit] = []
        for m in SemanticDuplicates.find(v.matrix, threshold: Float(threshold)) {
            clusters.append((v.sampleIDs[m.row], v.sampleIDs[m.representative]))
            let cosine = Double(m.cosine)
            hits.append(
                DetectorHit(
                    sampleID: v.sampleIDs[m.row], contentID: v.contentIDs[m.row], score: min(cosine, 1),
                    reason: "cosine \(String(format: "%.3f", cosine)) to \(v.uids[m.match]) (\(v.model.name)); cluster of \(v.uids[m.representative])",
                    details: jsonObject([
                        ("cluster", "\(v.sampleIDs[m.representative])"), ("representative", JSONText.quote(v.uids[m.representative])),
                        ("similar_to", JSONText.quote(v.uids[m.match])), ("cosine", jsonNumber(cosine)),
                        ("model", JSONText.quote(v.model.name)),
                    ])))
        }
        return hits
    }
}

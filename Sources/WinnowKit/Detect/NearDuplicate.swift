import Foundation

/// Word 5-gram shingles and MinHash signatures, free of SQLite so they are tested alone.
public enum MinHash {
    /// Hashes of the lower-cased word 5-grams of `text`, sorted and unique. A text of fewer
    /// than five words is one shingle of all its words.
    public static func shingles(_ text: String, size: Int = 5) -> [UInt64] {
        let words = Lexical.wordHashes(text)
        if words.isEmpty { return [] }
        var result: [UInt64] = []
        let n = words.count < size ? 1 : words.count - size + 1
        let width = min(size, words.count)
        result.reserveCapacity(n)
        for i in 0..<n {
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15
            for k in 0..<width { h = mix(h ^ words[i + k]) }
            result.append(h)
        }
        result.sort()
        var unique: [UInt64] = []
        unique.reserveCapacity(result.count)
        for h in result where unique.last != h { unique.append(h) }
        return unique
    }

    /// splitmix64's finaliser: a well-spread 64-bit mix.
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` hash functions h(x) = (a·x + b) >> 32 with odd a, from a fixed seed.
    public static func permutations(_ count: Int, seed: UInt64 = 1) -> [(UInt64, UInt64)] {
        var state = seed
        return (0..<count).map { _ in
            state = mix(state)
            let a = state | 1
            state = mix(state)
            return (a, state)
        }
    }

    /// The MinHash signature of a shingle set under `permutations`.
    public static func signature(_ shingles: [UInt64], _ permutations: [(UInt64, UInt64)]) -> [UInt32] {
        var sig = [UInt32](repeating: .max, count: permutations.count)
        if shingles.isEmpty { return sig }
        permutations.withUnsafeBufferPointer { perms in
            sig.withUnsafeMutableBufferPointer { out in
                for x in shingles {
                    for i in 0..<perms.count {
                        let v = UInt32(truncatingIfNeeded: (perms[i].0 &* x &+ perms[i].1) >> 32)
                        if v < out[i] { out[i] = v }
                    }
                }
            }
        }
        return sig
    }

    /// The share of equal positions: the MinHash estimate of Jaccard similarity.
    public static func estimate(_ a: [UInt32], _ b: [UInt32]) -> Double {
        var same = 0
        for i in 0..<min(a.count, b.count) where a[i] == b[i] { same += 1 }
        return Double(same) / Double(max(a.count, 1))
    }

    /// Exact Jaccard similarity of two sorted unique sets.
    public static func jaccard(_ a: [UInt64], _ b: [UInt64]) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        var i = 0, j = 0, common = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { common += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return Double(common) / Double(a.count + b.count - common)
    }
}

/// Near duplicates: MinHash of word 5-gram shingles, LSH banding to find candidates, exact
/// Jaccard to verify them, union-find clusters. The earliest sample of a cluster stays
/// unflagged; the others name it as representative.
public final class NearDuplicateDetector: Detector {
    public let name = "near-duplicate"
    let threshold: Double
    let bands: Int
    let rows: Int
    let permutations: [(UInt64, UInt64)]
    /// Earlier bucket members a new sample is compared with, at most (guards against huge buckets).
    let maxBucketScan = 128

    private var sampleIDs: [Int64] = []
    private var contentIDs: [Int64] = []
    private var uids: [String] = []
    private var shingleSets: [[UInt64]] = []
    private var heads: [[UInt64: Int32]]
    private var next: [[Int32]]
    private var parent: [Int32] = []
    /// Per flagged sample: best verified match among earlier samples.
    private var bestMatch: [Int32: (other: Int32, similarity: Double)] = [:]

    public var parametersJSON: String {
        jsonObject([
            ("threshold", jsonNumber(threshold)), ("num_perm", "\(bands * rows)"), ("bands", "\(bands)"),
            ("rows", "\(rows)"), ("shingle", "\"word 5-gram\""),
        ])
    }

    public init(threshold: Double = 0.8, bands: Int = 32, rows: Int = 4) {
        self.threshold = threshold
        self.bands = bands
        self.rows = rows
        permutations = MinHash.permutations(bands * rows)
        heads = Array(repeating: [:], count: bands)
        next = Array(repeating: [], count: bands)
    }

    /// Samples waiting for their shingles and signatures, computed a batch at a time on all cores.
    private var pending: [DetectSample] = []
    static let batchSize = 4096

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        pending.append(s)
        if pending.count >= NearDuplicateDetector.batchSize { flush() }
        return []
    }

    /// Shingles and signs the pending samples in parallel, then bands and verifies them in order.
    private func flush() {
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        let results = Results(count: batch.count)
        let perms = permutations
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Each worker keeps its results locally and stores them once: one lock per batch,
            // not one per sample (the per-sample lock cost about 10 % of a near-duplicate run).
            var local: [(shingles: [UInt64], signature: [UInt32])] = []
            local.reserveCapacity(batch.count / workers + 1)
            var i = worker
            while i < batch.count {
                let shingles = MinHash.shingles(batch[i].text)
                local.append((shingles, shingles.isEmpty ? [] : MinHash.signature(shingles, perms)))
                i += workers
            }
            results.set(first: worker, stride: workers, local)
        }
        for (i, s) in batch.enumerated() { insert(s, shingles: results.shingles[i], signature: results.signatures[i]) }
    }

    /// Per-batch results written by the workers, each to its own index, under a lock. Without
    /// it, workers mutated the same array properties at once (a data race, even at distinct
    /// indices: each access is a mutation of the whole array), a write could be lost, and a
    /// sample's empty signature made `insert` read past its end: "Index out of range" in a debug
    /// build, one `detect` in two on 13k Debian descriptions with 2 busy cores (issue 13's
    /// downstream bench). The stores are a sliver of the work.
    private final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var shingles: [[UInt64]]
        private(set) var signatures: [[UInt32]]
        init(count: Int) {
            shingles = Array(repeating: [], count: count)
            signatures = Array(repeating: [], count: count)
        }
        /// Stores a worker's results: `values[j]` is sample `first + j * stride`'s.
        func set(first: Int, stride: Int, _ values: [(shingles: [UInt64], signature: [UInt32])]) {
            lock.lock(); defer { lock.unlock() }
            for (j, value) in values.enumerated() {
                shingles[first + j * stride] = value.shingles
                signatures[first + j * stride] = value.signature
            }
        }
    }

    private func insert(_ s: DetectSample, shingles: [UInt64], signature sig: [UInt32]) {
        let index = Int32(sampleIDs.count)
        sampleIDs.append(s.sampleID)
        contentIDs.append(s.contentID)
        uids.append(s.uid)
        shingleSets.append(shingles)
        parent.append(index)
        guard !shingles.isEmpty else {
            for b in 0..<bands { next[b].append(-1) }
            return
        }
        var checked = Set<Int32>()
        for b in 0..<bands {
            var key: UInt64 = UInt64(b) &* 0x9E37_79B9_7F4A_7C15
            for r in 0..<rows { key = MinHash.mix(key ^ UInt64(sig[b * rows + r])) }
            var cursor = heads[b][key] ?? -1
            var scanned = 0
            while cursor >= 0 && scanned < maxBucketScan {
                if checked.insert(cursor).inserted {
                    let similarity = MinHash.jaccard(shingles, shingleSets[Int(cursor)])
                    if similarity >= threshold {
                        union(index, cursor)
                        // Both ends: a sample that began a cluster and was merged into an earlier
                        // one then still names a real match.
                        if similarity > (bestMatch[index]?.similarity ?? -1) { bestMatch[index] = (cursor, similarity) }
                        if similarity > (bestMatch[cursor]?.similarity ?? -1) { bestMatch[cursor] = (index, similarity) }
                    }
                }
                cursor = next[b][Int(cursor)]
                scanned += 1
            }
            next[b].append(heads[b][key] ?? -1)
            heads[b][key] = index
        }
    }

    private func find(_ x: Int32) -> Int32 {
        var x = x
        while parent[Int(x)] != x {
            parent[Int(x)] = parent[Int(parent[Int(x)])]
            x = parent[Int(x)]
        }
        return x
    }

    private func union(_ a: Int32, _ b: Int32) {
        let ra = find(a), rb = find(b)
        if ra == rb { return }
        // The earlier sample is the root, so a cluster's root is its earliest member.
        if ra < rb { parent[Int(rb)] = ra } else { parent[Int(ra)] = rb }
    }

    /// Each clustered sample with its cluster's representative (earliest member), for label-conflict.
    public private(set) var clusters: [(sampleID: Int64, representativeID: Int64)] = []

    public func finish() -> [DetectorHit] {
        flush()
        var hits: [DetectorHit] = []
        clusters = []
        for i in 0..<parent.count {
            let index = Int32(i)
            let root = find(index)
            guard root != index else { continue }
            clusters.append((sampleIDs[i], sampleIDs[Int(root)]))
            guard let match = bestMatch[index] else { continue }
            let percent = Int((match.similarity * 100).rounded(.down))
            hits.append(
                DetectorHit(
                    sampleID: sampleIDs[i], contentID: contentIDs[i], score: match.similarity,
                    reason: "\(percent)% similar to \(uids[Int(match.other)]) (word 5-gram Jaccard); cluster of \(uids[Int(root)])",
                    details: jsonObject([
                        ("cluster", "\(sampleIDs[Int(root)])"), ("representative", JSONText.quote(uids[Int(root)])),
                        ("similar_to", JSONText.quote(uids[Int(match.other)])), ("jaccard", jsonNumber(match.similarity)),
                    ])))
        }
        return hits
    }
}

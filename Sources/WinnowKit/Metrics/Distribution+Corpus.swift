import Foundation
import GRDB

/// What `distribution --against corpus:FILE` read and assigned (`corpus` in its JSON).
public struct CorpusSummary: Codable, Sendable, Equatable {
    public var file: String
    /// Texts embedded and assigned to a topic (blank lines are skipped).
    public var texts: Int
    /// The cluster run whose centroids the texts were assigned to.
    public var run: Int64
    public var model: String
    /// Mean cosine of each text to its topic's centroid: low means the corpus is far from
    /// every topic of the dataset, whatever the divergence says.
    public var meanCosine: Double

    enum CodingKeys: String, CodingKey {
        case file, texts, run, model
        case meanCosine = "mean_cosine"
    }
}

/// The texts of a reference corpus, read in batches so a large file never sits in memory:
/// JSON Lines (`.jsonl`, `.ndjson`, gzip or not) take each object's `text` field, any other
/// file is one text per line. Blank lines are skipped.
public enum ReferenceCorpus {
    /// Longest line read, as import's default `--max-record-bytes`.
    static let maxLineBytes = 16 << 20

    /// Calls `body` with batches of at most `batch` texts, in file order; returns the count.
    /// Errors name FILE:LINE and what to fix.
    @discardableResult
    public static func read(_ path: String, batch: Int = 256, _ body: ([String]) throws -> Void) throws -> Int {
        let file = try InputFile(path: path)
        let lines = LineReader(source: try file.source(), maxLineBytes: maxLineBytes)
        var lower = path.lowercased()
        if lower.hasSuffix(".gz") { lower.removeLast(3) }
        let jsonl = lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
        var pending: [String] = []
        var total = 0
        func fail(_ line: Int, _ reason: String) -> WinnowError {
            .unreadableInput(path: "\(path):\(line)", reason: reason)
        }
        while let line = try lines.next() {
            let number = lines.lineNumber
            guard case .text(let bytes) = line else {
                throw fail(number, "the line is longer than \(maxLineBytes) bytes; split the text or shorten it")
            }
            guard var text = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
                throw fail(number, "not valid UTF-8; convert the file to UTF-8")
            }
            if text.hasSuffix("\r") { text.removeLast() }
            if number == 1, text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if jsonl {
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                    throw fail(number, "not a JSON object; each line of a .jsonl corpus is {\"text\": \"…\"}")
                }
                guard let value = object["text"] as? String else {
                    throw fail(number, "no string field \"text\"; each line of a .jsonl corpus is {\"text\": \"…\"}")
                }
                text = value
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
            }
            pending.append(text)
            total += 1
            if pending.count >= batch {
                try body(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { try body(pending) }
        return total
    }
}

/// Makes the encoder of a stored model, so that new text lands in the same vector space.
public typealias EmbedderFactory = @Sendable (EmbeddingModel) throws -> any TextEmbedder

extension Store {
    /// The encoder `distribution --against corpus:FILE` embeds with by default.
    public static let sentenceEncoderFactory: EmbedderFactory = { model in try SentenceEncoder.forModel(model) }

    /// Q for `--against corpus:FILE`: the texts of `file` embedded with the model of
    /// `dimension`'s latest cluster run and counted by nearest centroid (cosine), per category.
    func corpusReference(file: String, dimension: String, embedder: EmbedderFactory) throws -> (reference: [String: Double], order: [String], summary: CorpusSummary) {
        guard let run = try latestClusterRun(dimension: dimension) else {
            throw WinnowError.invalidArgument(
                "--against corpus:\(file): dimension '\(dimension)' has no cluster run to assign the corpus to; run `winnow cluster --k K --dimension \(dimension)` first"
            )
        }
        // Read the whole file once before loading a model: a bad line fails fast.
        let texts = try ReferenceCorpus.read(file) { _ in }
        guard texts > 0 else {
            throw WinnowError.unreadableInput(path: file, reason: "the corpus holds no text (only blank lines); one text per line, or a .jsonl of {\"text\": \"…\"}")
        }
        let encoder = try embedder(run.model)
        guard encoder.dimension == run.model.dimension else {
            throw WinnowError.invalidArgument(
                "the encoder for model '\(run.model.name)' makes \(encoder.dimension)-dimensional vectors, the store's have \(run.model.dimension); set WINNOW_MODEL to that model's folder"
            )
        }
        var counts = [Int](repeating: 0, count: run.centroids.rows)
        var cosineSum = 0.0
        try ReferenceCorpus.read(file) { batch in
            let vectors = try encoder.embed(batch)
            let assigned = TopicAssignment.assign(vectors, to: run)
            for (c, cosine) in zip(assigned.clusters, assigned.cosines) {
                counts[c] += 1
                cosineSum += Double(cosine)
            }
        }
        let reference = TopicAssignment.reference(counts, run: run)
        return (
            reference, run.categories,
            CorpusSummary(file: file, texts: texts, run: run.id, model: run.model.name, meanCosine: cosineSum / Double(texts))
        )
    }
}

/// Texts to topics: each vector joins the topic of nearest centroid (highest cosine, ties to
/// the earlier topic), the rule `cluster` used for the samples.
public enum TopicAssignment {
    /// The topic (centroid row) of each row of `vectors`, with its cosine.
    public static func assign(_ vectors: VectorMatrix, to run: ClusterRun) -> (clusters: [Int], cosines: [Float]) {
        KMeans.nearest(vectors, centroids: run.centroids)
    }

    /// Counts per topic as the reference Q, by category (every topic listed, zeros included).
    public static func reference(_ counts: [Int], run: ClusterRun) -> [String: Double] {
        var q: [String: Double] = [:]
        for (c, name) in run.categories.enumerated() { q[name, default: 0] += Double(counts[c]) }
        return q
    }
}

import Foundation
import Testing

@testable import WinnowKit

/// `Store.cluster` and `distribution --against corpus:FILE` on a store with hand-made vectors;
/// the corpus is embedded by a stand-in encoder, so only the real encoder's step is left out.
@Suite struct ClusterStoreTests {
    /// A stand-in for the sentence encoder: "refund" texts on x, "password" texts on y, the rest on z.
    struct KeywordEmbedder: TextEmbedder {
        var name = "test-model"
        var dimension = 3
        func embed(_ texts: [String]) throws -> VectorMatrix {
            VectorMatrix(
                texts.map { t -> [Float] in
                    if t.contains("refund") { return [1, 0.05, 0] }
                    if t.contains("password") { return [0.05, 1, 0] }
                    return [0, 0, 1]
                }, dimension: 3)
        }
    }

    /// Six refund texts (a1…a6) and six password texts (b1…b6), vectors on x and y.
    func store(_ dir: TempDir) throws -> Store {
        var lines = ""
        var vectors: [String: [Float]] = [:]
        for i in 1...6 {
            lines += #"{"id":"a\#(i)","text":"refund my order \#(i) please, the refund is late"}"# + "\n"
            lines += #"{"id":"b\#(i)","text":"reset my password \#(i), the login fails"}"# + "\n"
            vectors["a\(i)"] = [1, Float(i) * 0.01, 0]
            vectors["b\(i)"] = [Float(i) * 0.01, 1, 0]
        }
        let store = try dir.store()
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("in.jsonl", lines))
        _ = try storeTestVectors(store, model: "test-model", vectors)
        return store
    }

    @Test func clusterWritesAnnotationsTaxonomyAndRunRows() throws {
        let dir = TempDir()
        let store = try store(dir)
        let report = try store.cluster(ClusterOptions(k: 2, seed: 1))
        #expect(report.samples == 12 && report.annotated == 12 && report.replaced == 0)
        #expect(Set(report.topics.map(\.category)) == ["refund-late-order", "fails-login-password"])
        #expect(report.topics.map(\.size) == [6, 6])
        let taxonomy = try store.taxonomy()
        #expect(Set(taxonomy.categoryNames(of: "topic")) == Set(report.topics.map(\.category)))
        let run = try #require(try store.latestClusterRun(dimension: "topic"))
        #expect(run.categories == report.topics.map(\.category))
        #expect(run.centroids.rows == 2)
        // Same seed again: the same topics, nothing rewritten.
        let again = try store.cluster(ClusterOptions(k: 2, seed: 1))
        #expect(again.topics == report.topics && again.annotated == 0 && again.unchanged == 12)
    }

    @Test func aCorpusIsAssignedToTheTopicsAndComparedByKLAndJS() throws {
        let dir = TempDir()
        let store = try store(dir)
        _ = try store.cluster(ClusterOptions(k: 2, seed: 1))
        let corpus = dir.write("prod.txt", "where is my refund\n\nrefund please\nrefund now\nforgot my password\n")
        let report = try store.distribution(of: .scene("topic"), against: "corpus:\(corpus)", embedder: { _ in KeywordEmbedder() })
        // P = (1/2, 1/2); Q = (3/4, 1/4) for refund, password.
        let d = report.divergence
        let kl = 0.5 * log2(0.5 / 0.75) + 0.5 * log2(0.5 / 0.25)
        #expect(abs(d.klPQ - kl) < 1e-12)
        let m = [0.625, 0.375]
        let js = 0.5 * (0.5 * log2(0.5 / m[0]) + 0.5 * log2(0.5 / m[1])) + 0.5 * (0.75 * log2(0.75 / m[0]) + 0.25 * log2(0.25 / m[1]))
        #expect(abs(d.js - js) < 1e-12)
        let refund = try #require(d.categories.first { $0.category == "refund-late-order" })
        #expect(refund.count == 6 && refund.q == 0.75 && refund.factor == 1.5 && refund.targetCount == 9)
        let password = try #require(d.categories.first { $0.category == "fails-login-password" })
        #expect(password.factor == 0.5 && password.targetCount == 3)
        let summary = try #require(report.corpus)
        #expect(summary.texts == 4 && summary.model == "test-model")
        #expect(report.against == "corpus:\(corpus)" && report.of == "scene.topic")
        #expect(try store.distributionSubject("topic") == .scene("topic"))

        // JSONL: the text field; errors name FILE:LINE.
        let jsonl = dir.write("prod.jsonl", #"{"text": "refund"}"# + "\n" + #"{"query": "password"}"# + "\n")
        #expect(throws: WinnowError.unreadableInput(path: "\(jsonl):2", reason: #"no string field "text"; each line of a .jsonl corpus is {"text": "…"}"#)) {
            try store.distribution(of: .scene("topic"), against: "corpus:\(jsonl)", embedder: { _ in KeywordEmbedder() })
        }
        let blank = dir.write("blank.txt", "\n  \n")
        #expect(throws: WinnowError.self) {
            try store.distribution(of: .scene("topic"), against: "corpus:\(blank)", embedder: { _ in KeywordEmbedder() })
        }
        #expect(
            throws: WinnowError.invalidArgument(
                "--against corpus:\(corpus): dimension 'intent' has no cluster run to assign the corpus to; run `winnow cluster --k K --dimension intent` first")
        ) {
            try store.distribution(of: .scene("intent"), against: "corpus:\(corpus)", embedder: { _ in KeywordEmbedder() })
        }
        #expect(throws: WinnowError.self) {
            try store.distribution(of: .scene("topic"), against: "corpus:\(corpus)", embedder: { _ in KeywordEmbedder(dimension: 4) })
        }
    }
}

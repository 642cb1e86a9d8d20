import Foundation
import Testing
@testable import WinnowKit

/// `Store.embed` with a stand-in embedder: which texts are embedded (one per content, the text
/// per kind), batches committed one by one, re-runs that embed only what is new, a failure
/// half-way that keeps the batches done, and models that do not match refused up front.
@Suite struct StoreEmbedTests {
    /// Makes a 3-dimensional unit vector from each text's length and first scalar, and
    /// records every call; fails on call `failOnCall` (1-based) when set.
    final class StandIn: TextEmbedder, @unchecked Sendable {
        let name: String
        let dimension = 3
        let failOnCall: Int?
        private let lock = NSLock()
        private var _calls: [[String]] = []
        var calls: [[String]] { lock.withLock { _calls } }

        init(name: String = "stand-in", failOnCall: Int? = nil) {
            self.name = name
            self.failOnCall = failOnCall
        }

        static func vector(_ text: String) -> [Float] {
            let v: [Float] = [Float(text.count) + 1, Float(text.unicodeScalars.first?.value ?? 0) / 100, 1]
            let norm = (v.map { $0 * $0 }.reduce(0, +)).squareRoot()
            return v.map { $0 / norm }
        }

        func embed(_ texts: [String]) throws -> VectorMatrix {
            let call = lock.withLock {
                _calls.append(texts)
                return _calls.count
            }
            if call == failOnCall { throw WinnowError.invalidArgument("stand-in failure") }
            return VectorMatrix(texts.map(Self.vector), dimension: dimension)
        }
    }

    /// Texts a, b and c (a duplicate of a, so no sample of its own), a pair d, instructions e (with input) and f, a chat g.
    static let corpus = [
        #"{"id":"a","text":"alpha"}\#n{"id":"b","text":"beta"}\#n{"id":"c","text":"alpha"}\#n"#,
        #"{"id":"d","text_a":"left","text_b":"right"}\#n"#,
        #"{"id":"e","instruction":"Translate","input":"chat","output":"Katze"}\#n{"id":"f","instruction":"Say hi","output":"hi"}\#n"#,
        #"{"id":"g","messages":[{"role":"system","content":"be nice"},{"role":"user","content":"q1"},{"role":"assistant","content":"a1"},{"role":"user","content":"q2"}]}\#n"#,
    ]

    static func store(_ dir: TempDir) throws -> Store {
        let store = try dir.store()
        for (i, text) in corpus.enumerated() {
            _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("in\(i).jsonl", text))
        }
        #expect(try store.embeddingBacklog(name: "stand-in") == EmbedBacklog(pending: 6, embedded: 0))
        return store
    }

    @Test func embedsEachContentOnceWithItsTextPerKind() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        let embedder = StandIn()
        var options = EmbedOptions()
        options.batch = 4
        options.fingerprint = "f1"
        options.maxTokens = 128
        var seen: [EmbedProgress] = []
        let result = try store.embed(with: embedder, options: options) { seen.append($0) }
        let texts = embedder.calls.flatMap { $0 }
        #expect(Set(texts) == ["alpha", "beta", "left\nright", "Translate\nchat", "Say hi", "q1\nq2"])
        #expect(texts.count == 6, "each content once")
        #expect(embedder.calls.map(\.count) == [4, 2], "batches of --batch texts")
        #expect(result.embedded == 6 && result.alreadyEmbedded == 0)
        #expect(result.model == "stand-in" && result.dimension == 3 && result.dtype == "float32" && result.maxTokens == 128)
        #expect(seen.map(\.embedded) == [0, 4, 6] && seen.allSatisfy { $0.total == 6 })

        let model = try #require(try store.embeddingModel(named: "stand-in"))
        #expect(model.origin == .embed && model.fingerprint == "f1" && model.maxTokens == 128)
        let vectors = try store.sampleVectors(model: model)
        #expect(vectors.uids == ["a", "b", "d", "e", "f", "g"], "c is a duplicate of a: one sample")
        #expect(vectors.matrix.row(0) == StandIn.vector("alpha"))
        #expect(vectors.matrix.row(2) == StandIn.vector("left\nright"))
        #expect(vectors.matrix.row(5) == StandIn.vector("q1\nq2"))

        // Again: nothing is embedded. New content: only it.
        let again = StandIn()
        let second = try store.embed(with: again, options: options)
        #expect(again.calls.isEmpty && second.embedded == 0 && second.alreadyEmbedded == 6)
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("more.jsonl", #"{"id":"h","text":"gamma"}\#n{"id":"i","text":"beta"}\#n"#))
        let more = StandIn()
        let third = try store.embed(with: more, options: options)
        #expect(more.calls == [["gamma"]] && third.embedded == 1 && third.alreadyEmbedded == 6)
    }

    @Test func aFailureKeepsTheBatchesDoneAndARerunFinishes() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        var options = EmbedOptions()
        options.batch = 2
        #expect(throws: WinnowError.self) { try store.embed(with: StandIn(failOnCall: 2), options: options) }
        let model = try #require(try store.embeddingModel(named: "stand-in"))
        #expect(try store.embeddingBacklog(name: "stand-in") == EmbedBacklog(pending: 4, embedded: 2), "the first batch stayed")
        #expect(try store.sampleVectors(model: model).matrix.rows == 2)
        let rerun = StandIn()
        let result = try store.embed(with: rerun, options: options)
        #expect(result.embedded == 4 && result.alreadyEmbedded == 2)
        #expect(rerun.calls.flatMap { $0 }.count == 4)
        #expect(try store.embeddingBacklog(name: "stand-in") == EmbedBacklog(pending: 0, embedded: 6))
    }

    @Test func nothingToEmbedWritesNoModel() throws {
        let dir = TempDir()
        let store = try dir.store()
        let result = try store.embed(with: StandIn())
        #expect(result.embedded == 0 && result.alreadyEmbedded == 0)
        #expect(try store.embeddingModels().isEmpty)
    }

    @Test func aModelThatDoesNotMatchIsRefusedBeforeAnythingIsEmbedded() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        var options = EmbedOptions()
        options.fingerprint = "f1"
        options.maxTokens = 256
        try store.embed(with: StandIn(), options: options)
        _ = try Importer(store: store, options: ImportOptions()).importFile(dir.write("more.jsonl", #"{"id":"h","text":"gamma"}\#n"#))

        var shorter = options
        shorter.maxTokens = 128
        let e1 = StandIn()
        #expect {
            try store.embed(with: e1, options: shorter)
        } throws: { error in
            let m = "\(error)"
            return m.contains("--max-tokens 256") && m.contains("--name NAME")
        }
        var other = options
        other.fingerprint = "f2"
        let e2 = StandIn()
        #expect {
            try store.embed(with: e2, options: other)
        } throws: { error in "\(error)".contains("other weights") }
        #expect(e1.calls.isEmpty && e2.calls.isEmpty, "refused before embedding")
        #expect(try store.embeddingBacklog(name: "stand-in") == EmbedBacklog(pending: 1, embedded: 6))

        // Under another name, the same run is fine and kept apart.
        shorter.name = "stand-in-128"
        let result = try store.embed(with: StandIn(), options: shorter)
        #expect(result.model == "stand-in-128" && result.embedded == 7)
        #expect(try store.embeddingModels().map(\.model.name) == ["stand-in", "stand-in-128"])

        // Imported vectors under that name are not added to by embed.
        _ = try storeTestVectors(store, model: "mine", ["a": [1, 0, 0]])
        var mine = options
        mine.name = "mine"
        #expect {
            try store.embed(with: StandIn(), options: mine)
        } throws: { error in "\(error)".contains("imported") }
    }
}

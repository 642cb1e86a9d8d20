import Foundation

/// The parts of a Hugging Face `config.json` a BERT encoder needs; anything this build does
/// not implement (another architecture, activation or position scheme) is refused by name.
struct BertConfig: Sendable, Equatable {
    var hidden: Int
    var layers: Int
    var heads: Int
    var intermediate: Int
    var maxPositions: Int
    var vocabulary: Int
    var typeVocabulary: Int
    var layerNormEpsilon: Float

    /// Reads `config.json` at `url`.
    init(url: URL) throws {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WinnowError.unreadableInput(path: path, reason: "cannot read the model's config.json: is this a sentence-transformers model folder?")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let c = object as? [String: Any] else {
            throw WinnowError.unreadableInput(path: path, reason: "config.json is not a JSON object")
        }
        try self.init(c, path: path)
    }

    init(_ c: [String: Any], path: String) throws {
        func refuse(_ what: String) -> WinnowError {
            WinnowError.invalidArgument(
                "\(path): \(what); Winnow's encoder implements BERT (model_type \"bert\", GELU, absolute positions) only: pick a BERT-family sentence-transformers model")
        }
        let modelType = c["model_type"] as? String
        guard modelType == "bert" else { throw refuse("model_type is \(modelType.map { "\"\($0)\"" } ?? "missing")") }
        if let architectures = c["architectures"] as? [String], !architectures.isEmpty, !architectures.contains(where: { $0.hasPrefix("Bert") }) {
            throw refuse("architectures \(architectures) are not BERT")
        }
        let act = c["hidden_act"] as? String ?? "gelu"
        guard act == "gelu" else { throw refuse("hidden_act is \"\(act)\", not \"gelu\"") }
        let positions = c["position_embedding_type"] as? String ?? "absolute"
        guard positions == "absolute" else { throw refuse("position_embedding_type is \"\(positions)\"") }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            if let v = c[key] as? Int, v > 0 { return v }
            if c[key] == nil, let value { return value }
            throw WinnowError.unreadableInput(path: path, reason: "\(key) is missing or not a positive integer")
        }
        hidden = try int("hidden_size")
        layers = try int("num_hidden_layers")
        heads = try int("num_attention_heads")
        intermediate = try int("intermediate_size")
        maxPositions = try int("max_position_embeddings", default: 512)
        vocabulary = try int("vocab_size")
        typeVocabulary = try int("type_vocab_size", default: 2)
        layerNormEpsilon = Float((c["layer_norm_eps"] as? Double) ?? 1e-12)
        guard hidden % heads == 0 else {
            throw WinnowError.unreadableInput(path: path, reason: "hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)")
        }
    }
}

/// A BERT encoder's forward pass over packed sequences: each sequence's tokens are rows of
/// one block with no padding at all (attention runs per sequence over its own tokens, which
/// is exactly what the padding mask computes), so the dense layers never multiply pad rows.
/// Matrix products go through `BLAS.gemm`; the output is the mean of each sequence's last
/// hidden states (sentence-transformers' mean pooling), not yet normalised.
final class BertEncoder: @unchecked Sendable {
    let config: BertConfig
    private let weights: SafetensorsFile

    private struct Layer {
        /// Query, key and value projections stacked: (3·hidden) × hidden, and their biases.
        let qkvWeight: UnsafePointer<Float>
        let qkvBias: UnsafePointer<Float>
        let attentionOutWeight: UnsafePointer<Float>
        let attentionOutBias: UnsafePointer<Float>
        let attentionNormWeight: UnsafePointer<Float>
        let attentionNormBias: UnsafePointer<Float>
        let intermediateWeight: UnsafePointer<Float>
        let intermediateBias: UnsafePointer<Float>
        let outputWeight: UnsafePointer<Float>
        let outputBias: UnsafePointer<Float>
        let outputNormWeight: UnsafePointer<Float>
        let outputNormBias: UnsafePointer<Float>
    }

    private let wordEmbeddings: UnsafePointer<Float>
    private let positionEmbeddings: UnsafePointer<Float>
    private let tokenTypeEmbeddings: UnsafePointer<Float>
    private let embeddingNormWeight: UnsafePointer<Float>
    private let embeddingNormBias: UnsafePointer<Float>
    private let layers: [Layer]

    /// Binds the tensors of `weights` (with or without the `bert.` prefix) to `config`'s shapes.
    init(config: BertConfig, weights: SafetensorsFile) throws {
        self.config = config
        self.weights = weights
        let prefix = weights.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        let h = config.hidden, i = config.intermediate
        func t(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> { try weights.floats(prefix + name, shape: shape) }
        wordEmbeddings = try t("embeddings.word_embeddings.weight", [config.vocabulary, h])
        positionEmbeddings = try t("embeddings.position_embeddings.weight", [config.maxPositions, h])
        tokenTypeEmbeddings = try t("embeddings.token_type_embeddings.weight", [config.typeVocabulary, h])
        embeddingNormWeight = try t("embeddings.LayerNorm.weight", [h])
        embeddingNormBias = try t("embeddings.LayerNorm.bias", [h])
        var layers: [Layer] = []
        for l in 0..<config.layers {
            let p = "encoder.layer.\(l)."
            let qkv = weights.allocate(3 * h * h)
            let qkvBias = weights.allocate(3 * h)
            for (k, part) in ["query", "key", "value"].enumerated() {
                qkv.advanced(by: k * h * h).update(from: try t(p + "attention.self.\(part).weight", [h, h]), count: h * h)
                qkvBias.advanced(by: k * h).update(from: try t(p + "attention.self.\(part).bias", [h]), count: h)
            }
            layers.append(
                Layer(
                    qkvWeight: UnsafePointer(qkv), qkvBias: UnsafePointer(qkvBias),
                    attentionOutWeight: try t(p + "attention.output.dense.weight", [h, h]),
                    attentionOutBias: try t(p + "attention.output.dense.bias", [h]),
                    attentionNormWeight: try t(p + "attention.output.LayerNorm.weight", [h]),
                    attentionNormBias: try t(p + "attention.output.LayerNorm.bias", [h]),
                    intermediateWeight: try t(p + "intermediate.dense.weight", [i, h]),
                    intermediateBias: try t(p + "intermediate.dense.bias", [i]),
                    outputWeight: try t(p + "output.dense.weight", [h, i]),
                    outputBias: try t(p + "output.dense.bias", [h]),
                    outputNormWeight: try t(p + "output.LayerNorm.weight", [h]),
                    outputNormBias: try t(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }

    /// Scratch for one worker: room for `tokens` packed rows and one sequence's attention scores.
    final class Workspace {
        let tokens: Int
        let longest: Int
        let x: UnsafeMutablePointer<Float>
        let qkv: UnsafeMutablePointer<Float>
        let context: UnsafeMutablePointer<Float>
        let inner: UnsafeMutablePointer<Float>
        let scores: UnsafeMutablePointer<Float>

        init(config: BertConfig, tokens: Int, longest: Int) {
            self.tokens = tokens
            self.longest = longest
            x = .allocate(capacity: tokens * config.hidden)
            qkv = .allocate(capacity: tokens * 3 * config.hidden)
            context = .allocate(capacity: tokens * config.hidden)
            inner = .allocate(capacity: tokens * config.intermediate)
            scores = .allocate(capacity: longest * longest)
        }

        deinit {
            x.deallocate()
            qkv.deallocate()
            context.deallocate()
            inner.deallocate()
            scores.deallocate()
        }
    }

    /// Mean-pooled last hidden states of `sequences` (token ids, each at least one token, at
    /// most `maxPositions`), one row of `hidden` floats each, written to `out`.
    func pooled(_ sequences: [ArraySlice<Int32>], workspace w: Workspace, out: UnsafeMutablePointer<Float>) {
        let h = config.hidden, h3 = 3 * h, inner = config.intermediate
        let heads = config.heads, dh = h / heads
        var offsets: [Int] = []
        var total = 0
        for s in sequences {
            offsets.append(total)
            total += s.count
        }
        precondition(total <= w.tokens && (sequences.map(\.count).max() ?? 0) <= w.longest, "BertEncoder: workspace too small")
        guard total > 0 else { return }
        let x = w.x, eps = config.layerNormEpsilon

        // Embeddings: word + position + token type 0, then LayerNorm.
        for (s, seq) in sequences.enumerated() {
            for (t, id) in seq.enumerated() {
                let row = x + (offsets[s] + t) * h
                let word = wordEmbeddings + Int(id) * h, position = positionEmbeddings + t * h
                for j in 0..<h { row[j] = word[j] + position[j] + tokenTypeEmbeddings[j] }
            }
        }
        Self.layerNorm(x, rows: total, width: h, weight: embeddingNormWeight, bias: embeddingNormBias, epsilon: eps)

        let scale = 1 / Float(dh).squareRoot()
        for layer in layers {
            // Q, K, V for all tokens in one product.
            Self.broadcast(layer.qkvBias, into: w.qkv, rows: total, width: h3)
            BLAS.gemm(
                transposeB: true, m: total, n: h3, k: h, a: UnsafePointer(x), lda: h, b: layer.qkvWeight, ldb: h, beta: 1, c: w.qkv, ldc: h3)
            // Attention per sequence and head over that sequence's own tokens.
            for (s, seq) in sequences.enumerated() {
                let n = seq.count
                let base = w.qkv + offsets[s] * h3
                for head in 0..<heads {
                    let q = base + head * dh, k = base + h + head * dh, v = base + 2 * h + head * dh
                    BLAS.gemm(
                        transposeB: true, m: n, n: n, k: dh, alpha: scale, a: UnsafePointer(q), lda: h3, b: UnsafePointer(k), ldb: h3,
                        c: w.scores, ldc: n)
                    Self.softmaxRows(w.scores, rows: n, width: n)
                    BLAS.gemm(
                        m: n, n: dh, k: n, a: UnsafePointer(w.scores), lda: n, b: UnsafePointer(v), ldb: h3,
                        c: w.context + offsets[s] * h + head * dh, ldc: h)
                }
            }
            // x = LayerNorm(x + context · Wᵀ + b)
            Self.addRows(layer.attentionOutBias, to: x, rows: total, width: h)
            BLAS.gemm(
                transposeB: true, m: total, n: h, k: h, a: UnsafePointer(w.context), lda: h, b: layer.attentionOutWeight, ldb: h, beta: 1,
                c: x, ldc: h)
            Self.layerNorm(x, rows: total, width: h, weight: layer.attentionNormWeight, bias: layer.attentionNormBias, epsilon: eps)
            // inner = GELU(x · Wᵀ + b); x = LayerNorm(x + inner · Wᵀ + b)
            Self.broadcast(layer.intermediateBias, into: w.inner, rows: total, width: inner)
            BLAS.gemm(
                transposeB: true, m: total, n: inner, k: h, a: UnsafePointer(x), lda: h, b: layer.intermediateWeight, ldb: h, beta: 1,
                c: w.inner, ldc: inner)
            Self.gelu(w.inner, count: total * inner)
            Self.addRows(layer.outputBias, to: x, rows: total, width: h)
            BLAS.gemm(
                transposeB: true, m: total, n: h, k: inner, a: UnsafePointer(w.inner), lda: inner, b: layer.outputWeight, ldb: inner,
                beta: 1, c: x, ldc: h)
            Self.layerNorm(x, rows: total, width: h, weight: layer.outputNormWeight, bias: layer.outputNormBias, epsilon: eps)
        }

        // Mean pooling over each sequence's tokens.
        for (s, seq) in sequences.enumerated() {
            let o = out + s * h
            for j in 0..<h { o[j] = 0 }
            for t in 0..<seq.count {
                let row = x + (offsets[s] + t) * h
                for j in 0..<h { o[j] += row[j] }
            }
            let inv = 1 / Float(seq.count)
            for j in 0..<h { o[j] *= inv }
        }
    }

    @inline(__always)
    private static func broadcast(_ bias: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for r in 0..<rows { (c + r * width).update(from: bias, count: width) }
    }

    @inline(__always)
    private static func addRows(_ bias: UnsafePointer<Float>, to c: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = c + r * width
            for j in 0..<width { row[j] += bias[j] }
        }
    }

    /// LayerNorm of each row in place (biased variance, as PyTorch).
    static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float
    ) {
        let inv = 1 / Float(width)
        for r in 0..<rows {
            let row = x + r * width
            var sum: Float = 0
            for j in 0..<width { sum += row[j] }
            let mean = sum * inv
            var squares: Float = 0
            for j in 0..<width {
                let d = row[j] - mean
                squares += d * d
            }
            let scale = 1 / (squares * inv + epsilon).squareRoot()
            for j in 0..<width { row[j] = (row[j] - mean) * scale * weight[j] + bias[j] }
        }
    }

    /// Softmax of each row in place.
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = x + r * width
            var top = -Float.infinity
            for j in 0..<width { top = max(top, row[j]) }
            var sum: Float = 0
            for j in 0..<width {
                let e = expf(row[j] - top)
                row[j] = e
                sum += e
            }
            let inv = 1 / sum
            for j in 0..<width { row[j] *= inv }
        }
    }

    /// GELU with the exact (erf) form, x · ½ · (1 + erf(x / √2)), in place.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let r = Float(0.70710678118654752)
        for i in 0..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + fastErf(v * r))
        }
    }

    /// erf by a rational approximation (Eigen's, as in TensorFlow and PyTorch's vectorised
    /// paths), within a few float ulps over the whole line; branch-free so loops vectorise.
    @inline(__always)
    static func fastErf(_ a: Float) -> Float {
        let x = min(max(a, -4), 4)
        let x2 = x * x
        var p: Float = -2.72614225801306e-10
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        p *= x
        var q: Float = -1.45660718464996e-05
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return p / q
    }
}

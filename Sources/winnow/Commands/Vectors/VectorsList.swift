import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Vectors {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The models whose vectors the store holds: dimension, dtype, origin, counts.",
            discussion: """
                vectors: stored vectors (one per content); active with / without: active samples \
                whose current content has a vector of the model, or has none (run `winnow embed`).
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let models = try store.open().embeddingModels().map(VectorModelRow.init)
            try output.render(
                VectorModelList(models: models),
                table: {
                    var t = Table(
                        headers: ["model", "dimension", "dtype", "origin", "vectors", "active with", "active without", "max tokens", "created"],
                        rightAligned: [1, 4, 5, 6, 7])
                    for m in models {
                        t.rows.append([
                            m.name, "\(m.dimension)", m.dtype.rawValue, m.origin.rawValue, "\(m.vectors)", "\(m.activeWithVector)",
                            "\(m.activeWithout)", m.maxTokens.map(String.init) ?? "", m.createdAt,
                        ])
                    }
                    return t
                }
            ) { t in
                emit(models.isEmpty ? "no vectors yet; compute them with `winnow embed`, or bring yours with `winnow vectors import FILE --model NAME`\n" : t.text())
            }
        }
    }
}

/// `vectors list --json`: `{"models": [...]}`.
struct VectorModelList: Encodable { var models: [VectorModelRow] }

/// One model of `vectors list`.
struct VectorModelRow: Encodable {
    var name: String
    var dimension: Int
    var dtype: VectorDType
    var origin: EmbeddingOrigin
    var vectors: Int
    var activeWithVector: Int
    var activeWithout: Int
    @NullEncodable var fingerprint: String?
    @NullEncodable var maxTokens: Int?
    var createdAt: String

    init(_ s: EmbeddingModelSummary) {
        name = s.model.name
        dimension = s.model.dimension
        dtype = s.model.dtype
        origin = s.model.origin
        vectors = s.vectors
        activeWithVector = s.activeWithVector
        activeWithout = s.activeWithout
        fingerprint = s.model.fingerprint
        maxTokens = s.model.maxTokens
        createdAt = s.model.createdAt
    }

    enum CodingKeys: String, CodingKey {
        case name, dimension, dtype, origin, vectors, fingerprint
        case activeWithVector = "active_with_vector"
        case activeWithout = "active_without"
        case maxTokens = "max_tokens"
        case createdAt = "created_at"
    }
}

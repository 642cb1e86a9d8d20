import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Vectors {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import your own vectors (JSON Lines, or .npy with a uids file) under a model name.",
            discussion: """
                FILE is JSON Lines with a uid and a vector per line ({"uid": "s1", "vector": [0.1, …]}, \
                optionally .gz), or a .npy float array of shape (n, dimension) whose row i belongs to \
                line i of --uids (default: FILE with .uids.txt for .npy). All or nothing: a vector of \
                another dimension, a value that is not a finite number, a zero vector, a uid given twice \
                or a uid no sample has stops it with FILE:LINE messages, and nothing is stored. Vectors \
                are stored unit-length, one per sample's current content; importing again under the \
                same name replaces the vectors of the samples the file names.

                Examples:
                  winnow vectors import my-vectors.jsonl --model my-encoder
                  winnow vectors import emb.npy --uids emb.uids.txt --model my-encoder
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The vectors file (.jsonl, .jsonl.gz or .npy).") var file: String
        @Option(help: "The name the vectors are stored under (what --model NAME picks later).") var model: String
        @Option(help: ArgumentHelp("A .npy file's uids, one per line in row order (default: FILE with .uids.txt).", valueName: "FILE"))
        var uids: String?
        @Option(name: .customLong("uid-field"), help: "The JSON Lines field holding the sample uid.") var uidField = "uid"
        @Option(name: .customLong("vector-field"), help: "The JSON Lines field holding the vector.") var vectorField = "vector"
        @Option(help: "How a new model's vectors are stored (float16: half the bytes).") var dtype: VectorDType?
        @Flag(name: .customLong("skip-unknown"), help: "Leave out records whose uid no sample has, instead of refusing the file.")
        var skipUnknown = false
        @OptionGroup var output: JSONOption

        func run() throws {
            let r = try store.open().importVectors(
                file: file, uids: uids, model: model, dtype: dtype, skipUnknown: skipUnknown, uidField: uidField, vectorField: vectorField)
            try output.render(r) {
                var line = "\(file): \(r.read) vectors read, \(r.stored) stored, \(r.replaced) replaced, \(r.unchanged) unchanged"
                if r.skippedUnknown > 0 { line += ", \(r.skippedUnknown) with an unknown uid left out" }
                line += " · model \(r.model) (\(r.dimension) dimensions, \(r.dtype.rawValue))\n"
                emit(line)
            }
        }
    }
}

import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Vectors {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write a model's vectors of the active samples as JSON Lines or .npy.",
            discussion: """
                One vector per active sample with a vector of the model, in sample order. jsonl: \
                {"uid": …, "vector": […]} per line. npy: a float32 array (rows, dimension) and a uids \
                file, one uid per line in row order (default: FILE with .uids.txt in place of .npy). \
                The format is --format, else .npy for a FILE ending so, else jsonl. Both import back \
                with `winnow vectors import`, and numpy reads the .npy with numpy.load.

                Examples:
                  winnow vectors export vectors.jsonl
                  winnow vectors export vectors.npy --model all-MiniLM-L6-v2
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The file to write.") var file: String
        @Option(help: "jsonl or npy (default: from FILE's extension, else jsonl).") var format: VectorFileFormat?
        @Option(help: ArgumentHelp("Where npy writes the uids (default: FILE with .uids.txt).", valueName: "FILE")) var uids: String?
        @Option(help: "The model whose vectors to write (default: the only one).") var model: String?
        @Flag(help: "Replace FILE (and the uids file) if it exists.") var force = false
        @OptionGroup var output: JSONOption

        func run() throws {
            let r = try store.open().exportVectors(to: file, format: format, uids: uids, model: model, force: force)
            try output.render(r) {
                emit(
                    "\(r.file): \(r.vectors) vectors of model \(r.model) (\(r.dimension) dimensions, \(r.format.rawValue))"
                        + (r.uids.map { ", uids in \($0)" } ?? "") + "\n")
            }
        }
    }
}

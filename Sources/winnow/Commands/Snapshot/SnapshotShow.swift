import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Snapshot {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One snapshot: members, labels, fingerprint.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The snapshot.", transform: nameArgument(.snapshot)) var name: String
        @OptionGroup var output: JSONOption

        func run() throws {
            let s = try store.open().snapshot(name)
            try output.render(s) {
                var out = "\(s.name): \(s.members) members, created \(s.createdAt)\(s.message.map { " — \($0)" } ?? "")\nfingerprint \(s.fingerprint)\n"
                for (label, n) in s.labels.sorted(by: { $0.key < $1.key }) { out += "  \(label): \(n)\n" }
                emit(out)
            }
        }
    }
}

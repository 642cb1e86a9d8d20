import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow init`: create a store.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new store.",
            discussion: """
                Creates the SQLite file with Winnow's schema. An existing Winnow store is left as it \
                is (and migrated if it is older); any other existing file is refused.

                Example: winnow init --db data/curation.db
                """)

        @OptionGroup var store: StoreOptions

        func run() throws {
            let existed = FileManager.default.fileExists(atPath: store.path)
            let opened = try store.open(.createIfMissing)
            let version = try opened.schemaVersion()
            emit(
                existed
                    ? "\(store.path) is already a Winnow store (schema \(version))\n"
                    : "created \(store.path) (schema \(version))\n")
        }
    }
}

import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow backup FILE`: a consistent copy of the store, made while others keep writing.
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the store to FILE safely, even while other winnow processes write to it.",
            discussion: """
                Uses SQLite's online backup API inside one read transaction: FILE is the store as of \
                one commit, a single self-contained file (no -wal or -shm needed), checked like \
                `winnow check` before it gets its name. Importers and reviewers keep working meanwhile. \
                An existing FILE is refused unless --force; the store itself (by any name) and a file \
                with a -wal or -shm beside it are always refused. Restore by copying FILE over the \
                store while no winnow process uses it, after removing the store's -wal and -shm.

                Example: winnow backup backups/curation-2026-12-01.db --db data/curation.db
                """)

        @OptionGroup var store: StoreOptions
        @Argument(help: "The backup file to write.") var file: String
        @Flag(help: "Replace FILE if it exists.") var force = false
        @OptionGroup var output: JSONOption

        func run() throws {
            let result = try store.open().backup(to: file, force: force)
            try output.render(result) {
                let mb = String(format: "%.1f", Double(result.bytes) / 1_048_576)
                emit("backed up \(store.path) to \(file): \(result.samples) samples, \(result.snapshots) snapshots, \(result.decisions) decisions, \(mb) MB, checked ok\n")
            }
        }
    }
}

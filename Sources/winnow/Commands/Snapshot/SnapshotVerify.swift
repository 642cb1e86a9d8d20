import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Snapshot {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a snapshot's fingerprint from its members and compare.",
            discussion: "Exit 0 when it matches, 1 when it does not. Example: winnow snapshot verify v1")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The snapshot.", transform: nameArgument(.snapshot)) var name: String

        func run() throws {
            let (stored, recomputed, members) = try store.open().verifySnapshot(name)
            guard stored == recomputed else {
                throw WinnowError.invalidArgument(
                    "snapshot \(name) does NOT verify: stored fingerprint \(stored), recomputed from its \(members) members \(recomputed); its data was changed outside winnow — restore the store from a backup"
                )
            }
            emit("snapshot \(name): ok (\(members) members, fingerprint \(stored))\n")
        }
    }
}

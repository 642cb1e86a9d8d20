import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Snapshot {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List snapshots.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let all = try store.open().snapshots()
            try output.render(
                SnapshotList(snapshots: all),
                table: {
                    var t = Table(headers: ["snapshot", "members", "created", "fingerprint", "message"], rightAligned: [1])
                    for s in all { t.rows.append([s.name, "\(s.members)", s.createdAt, String(s.fingerprint.prefix(16)), s.message ?? ""]) }
                    return t
                }
            ) { t in
                emit(all.isEmpty ? "no snapshots yet; make one with `winnow snapshot create NAME`\n" : t.text())
            }
        }
    }
}

struct SnapshotList: Encodable { var snapshots: [SnapshotInfo] }

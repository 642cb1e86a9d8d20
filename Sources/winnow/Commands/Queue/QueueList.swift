import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Queue {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List queues with their progress.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let queues = try store.open().queueStatuses()
            try output.render(
                QueueList(queues: queues),
                table: {
                    var t = Table(headers: ["queue", "overlap", "items", "pending", "claimed", "decided", "disagreements"], rightAligned: [1, 2, 3, 4, 5, 6])
                    for q in queues { t.rows.append([q.queue, "\(q.overlap)", "\(q.items)", "\(q.pending)", "\(q.claimed)", "\(q.decided)", "\(q.disagreements)"]) }
                    return t
                }
            ) { t in
                emit(queues.isEmpty ? "no queues yet; create one with `winnow queue create NAME`\n" : t.text())
            }
        }
    }
}

struct QueueList: Encodable { var queues: [QueueStatus] }

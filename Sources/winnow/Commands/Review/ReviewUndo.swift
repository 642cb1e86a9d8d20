import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand.Review {
    struct Undo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revert the reviewer's last decision and its effect, or a bulk decision as one.",
            discussion: "Examples: winnow review undo --reviewer alice · winnow review undo --bulk 3")
        @OptionGroup var store: StoreOptions
        @Option(help: "Whose last decision.", transform: nameArgument(.reviewer)) var reviewer: String?
        @Option(help: "Undo this bulk decision (its id from `review bulk`) as one.") var bulk: Int64?

        func validate() throws {
            if reviewer == nil && bulk == nil { throw ValidationError("Say whose last decision (--reviewer NAME) or which bulk decision (--bulk ID).") }
        }

        func run() throws {
            if let bulk {
                let u = try store.open().undoBulk(bulk, reviewer: reviewer)
                emit("undid bulk decision \(u.bulk): \(u.reviewer)'s \(u.action) of \(u.undone) item\(u.undone == 1 ? "" : "s") in \(u.queue)\n")
                return
            }
            guard let reviewer else { return }
            let o = try store.open().undo(reviewer: reviewer)
            emit("undid \(reviewer)'s \(o.action) on item \(o.item) (\(o.uid))\n")
        }
    }
}

import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow show UID`: one sample whole.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one sample: content, label, revisions, provenance, scenes, flags, decisions.",
            discussion: "Example: winnow show rev-042 --json")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The sample's uid, or the id of any record stored as one of its occurrences.") var uid: String
        @OptionGroup var output: JSONOption

        func run() throws {
            let s = try store.open().sample(uid: uid)
            if let from = s.resolvedFrom {
                Terminal.note("note: \(from) is not a sample's uid but the id of a record merged as a duplicate into sample \(s.uid); showing \(s.uid)")
            }
            try output.render(s) {
                var out = "\(s.uid)  \(s.kind)  \(s.status)\(s.label.map { "  label: \($0)" } ?? "")\(s.score.map { "  score: \($0)" } ?? "")\n"
                out += "content hash \(s.contentHash)\n\n"
                for key in ["text", "text_a", "text_b", "instruction", "input", "output", "messages"] {
                    if let value = s.content[key] { out += "── \(key)\n\(value)\n\n" }
                }
                if let meta = s.meta { out += "meta: \(meta)\n" }
                out += "revisions:\n"
                for r in s.revisions {
                    out += "  #\(r.id) \(r.origin) \(r.createdAt) label=\(r.label ?? "-") hash=\(r.contentHash.prefix(16))\n"
                }
                out += "provenance:\n"
                if let a = s.augmentation {
                    out += "  augmented from \(a.parent) by run \(a.run) (\(a.target)): operations \(a.operations.joined(separator: ", "))"
                    out += a.rate.map { ", rate \($0)" } ?? ""
                    out += ", seed \(a.seed)\(a.command.map { ", command `\($0)`" } ?? "")\n"
                }
                for o in s.occurrences {
                    out += "  \(o.source):\(o.line)\(o.recordId.map { " id=\($0)" } ?? "")\(o.label.map { " label=\($0)" } ?? "")\n"
                }
                if !s.scenes.isEmpty {
                    out += "scenes:\n"
                    for a in s.scenes { out += "  \(a.dimension)=\(a.category) (\(a.origin)\(a.current ? "" : ", replaced"))\n" }
                }
                if !s.flags.isEmpty {
                    out += "flags:\n"
                    for f in s.flags { out += "  \(f.detector) \(String(format: "%.2f", f.score)) \(f.status): \(f.reason)\n" }
                }
                if !s.decisions.isEmpty {
                    out += "decisions:\n"
                    for d in s.decisions {
                        out += "  \(d.createdAt) \(d.reviewer) \(d.action)\(d.label.map { " \($0)" } ?? "")\(d.undone ? " (undone)" : "")\(d.note.map { " — \($0)" } ?? "")\n"
                    }
                }
                emit(out)
            }
        }
    }
}

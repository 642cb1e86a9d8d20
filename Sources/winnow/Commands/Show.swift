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
        @Argument(help: "The sample's uid.") var uid: String
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            try WinnowCommand.guarded {
                let s = try store.open().sample(uid: uid)
                if json { try JSONOutput.print(s); return }
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

    /// `winnow sql "SELECT …"`: read-only SQL over the store.
    struct SQL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sql",
            abstract: "Run one read-only SQL statement over the store.",
            discussion: """
                Statements that would write are refused. The schema is documented in the README. \
                Blobs (content hashes) print as hex.

                Example: winnow sql "SELECT label, count(*) AS n FROM revisions GROUP BY label" --csv
                """)

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The SQL statement.") var statement: String

        func run() throws {
            try WinnowCommand.guarded {
                let opened = try store.open()
                var table = Table(headers: [])
                var jsonRows: [String] = []
                var names: [String] = []
                try opened.query(statement, columns: { names = $0; table.headers = $0 }) { values in
                    if output.json {
                        let fields = zip(names, values).map { "\(JSONText.quote($0)):\($1.json)" }
                        jsonRows.append("{" + fields.joined(separator: ",") + "}")
                    } else {
                        table.rows.append(values.map(\.text))
                    }
                }
                if output.json {
                    emit("{\"columns\":[\(names.map(JSONText.quote).joined(separator: ","))],\"count\":\(jsonRows.count),\"rows\":[\n" + jsonRows.joined(separator: ",\n") + "\n]}\n")
                } else if output.csv {
                    emit(table.csv())
                } else {
                    emit(table.text(maxCellWidth: 80))
                    emit("(\(table.rows.count) row\(table.rows.count == 1 ? "" : "s"))\n")
                }
            }
        }
    }
}

import ArgumentParser
import Foundation
import WinnowKit
#if canImport(Glibc)
import Glibc
#endif

extension WinnowCommand {
    /// `winnow show UID`: one sample whole.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one sample: content, label, revisions, provenance, scenes, flags, decisions.",
            discussion: "Example: winnow show rev-042 --json")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The sample's uid, or the id of any record stored as one of its occurrences.") var uid: String
        @Flag(help: "Print one JSON document.") var json = false

        func run() throws {
            try WinnowCommand.guarded {
                let s = try store.open().sample(uid: uid)
                if let from = s.resolvedFrom {
                    Terminal.note("note: \(from) is not a sample's uid but the id of a record merged as a duplicate into sample \(s.uid); showing \(s.uid)")
                }
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
                Statements that would write are refused; the store is read as it is (never \
                upgraded). Rows stream out as they are read. The schema is documented in the \
                README. Blobs (content hashes) print as hex. Ctrl-C stops the query.

                Example: winnow sql "SELECT label, count(*) AS n FROM revisions GROUP BY label" --csv
                """)

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("Stop the query after this many seconds of running (0: no limit).", valueName: "SECONDS"))
        var timeout: Double = SQLLimits.defaultTimeout
        /// Collected as unrecognised words, so that a statement may start with a `--` comment.
        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The SQL statement (one argument; it may start with a -- comment).", valueName: "statement"))
        var words: [String] = []

        /// The one statement given.
        var statement: String { words.first ?? "" }

        func validate() throws {
            if words.isEmpty { throw ValidationError("Missing the SQL statement, for example winnow sql \"SELECT count(*) FROM samples\".") }
            if words.count > 1 {
                throw ValidationError("winnow sql takes the statement as one argument: quote it whole (unexpected '\(words[1])'; options are --db, --json, --csv, --timeout).")
            }
            guard timeout.isFinite, timeout >= 0, timeout <= 1e9 else {
                throw ValidationError("--timeout takes seconds, 0 or more (0: no limit), for example --timeout 300.")
            }
        }

        func run() throws {
            try WinnowCommand.guarded {
                Interrupt.catchCtrlC()
                let limits = SQLLimits(timeout: timeout > 0 ? timeout : nil, cancelled: { Interrupt.requested })
                var table: StreamingTable?
                var names: [String] = []
                var count = 0
                do {
                    try Store.query(path: store.path, statement, limits: limits, columns: { columns in
                        names = columns
                        if output.json {
                            emit("{\"columns\":[\(names.map(JSONText.quote).joined(separator: ","))],\"rows\":[")
                        } else {
                            table = StreamingTable(headers: columns, csv: output.csv, maxCellWidth: 80)
                        }
                    }) { values in
                        if output.json {
                            let fields = zip(names, values).map { "\(JSONText.quote($0)):\($1.json)" }
                            emit((count == 0 ? "\n{" : ",\n{") + fields.joined(separator: ",") + "}")
                            count += 1
                            if count % 1024 == 0 { try StandardOutput.check() }
                        } else {
                            try table?.add(values.map(\.text))
                        }
                    }
                } catch is WinnowError where Interrupt.requested {
                    Terminal.error("interrupted (Ctrl-C): the query was stopped; the store is unchanged")
                    throw ExitCode(130)
                }
                if output.json {
                    emit("\n],\"count\":\(count)}\n")
                } else if var table {
                    table.finish()
                    if !output.csv { emit("(\(table.count) row\(table.count == 1 ? "" : "s"))\n") }
                }
            }
        }
    }
}

/// Ctrl-C as a request to stop, for commands that can stop cleanly (`sql`); a second Ctrl-C ends the process.
enum Interrupt {
    nonisolated(unsafe) private static var count: sig_atomic_t = 0

    static var requested: Bool { count > 0 }

    static func catchCtrlC() {
        signal(SIGINT) { _ in
            Interrupt.count += 1
            if Interrupt.count > 1 { _exit(130) }
        }
        // A parent may have started us with SIGINT blocked; we handle it now.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}

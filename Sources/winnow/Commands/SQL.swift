import ArgumentParser
import Foundation
import WinnowKit
#if canImport(Glibc)
    import Glibc
#endif

extension WinnowCommand {
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
            Interrupt.catchCtrlC()
            let limits = SQLLimits(timeout: timeout > 0 ? timeout : nil, cancelled: { Interrupt.requested })
            var table: StreamingTable?
            var names: [String] = []
            var count = 0
            do {
                try Store.query(
                    path: store.path, statement, limits: limits,
                    columns: { columns in
                        names = columns
                        if output.json {
                            emit("{\"columns\":[\(names.map(JSONText.quote).joined(separator: ","))],\"rows\":[")
                        } else {
                            table = StreamingTable(headers: columns, csv: output.csv, maxCellWidth: 80)
                        }
                    }
                ) { values in
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

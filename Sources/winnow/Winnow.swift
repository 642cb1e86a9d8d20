import ArgumentParser
import Foundation
import WinnowKit

/// The `winnow` command: a thin layer that parses options, calls WinnowKit and renders.
@main
struct WinnowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "winnow",
        abstract: "Curate fine-tuning datasets in one SQLite store.",
        discussion: """
            Import corpora, find noisy samples, review them, measure coverage, and ship \
            versioned snapshots. The store is one SQLite file: --db PATH, $WINNOW_DB, or ./winnow.db.
            """,
        version: Winnow.version,
        subcommands: [
            Init.self, Import.self, Embed.self, Vectors.self, Samples.self, Show.self, Similar.self, Taxonomy.self,
            Annotate.self, Cluster.self, Coverage.self, Distribution.self, Plan.self, Stats.self, Augment.self,
            Detect.self, Flags.self, Queue.self, Review.self, Serve.self, Snapshot.self, Export.self, SQL.self, Check.self,
            Backup.self,
        ]
    )

    /// Parses and runs the command line, and is the one place that turns an error into a
    /// message and an exit code (`ErrorReport`). A word that names no command (`winnow bogus`,
    /// `winnow snapshot creat`) is refused first with the nearest command by edit distance and
    /// the list of commands, before the argument parser sees it.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let message = CommandSuggestion.unknownCommand(in: arguments, root: WinnowCommand.self) {
            Terminal.error(message)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error) // usage errors, --help, --version: the parser's own output
        }
        StandardOutput.prepare()
        do {
            try command.run()
            try StandardOutput.finish()
        } catch {
            exit(withError: ErrorReport.report(error, json: ErrorReport.wantsJSON(command)))
        }
    }
}

/// How a failed command ends: library errors become one clear message on stderr
/// (`error: …`) and their exit code; with `--json`, stdout also gets
/// `{"error": {"code": …, "message": …}}` (`code` is `WinnowError.code`), unless the command
/// already wrote part of its output there. A failed write to stdout is an error (exit 1);
/// a closed pipe (`| head`) ends quietly (exit 0).
enum ErrorReport {
    /// The error document `--json` commands print on stdout when they fail.
    struct Document: Encodable {
        struct Detail: Encodable { var code: String; var message: String }
        var error: Detail
    }

    /// Reports `error` and returns what the argument parser should end with (an exit code,
    /// or the parser's own errors, which it prints with the usage).
    static func report(_ error: Error, json: Bool) -> Error {
        switch error {
        case let failure as StandardOutput.Failure:
            if failure.isBrokenPipe { return ExitCode.success }
            Terminal.error(failure.message)
            return ExitCode(1)
        case let error as WinnowError:
            fail(code: error.code, message: error.description, json: json)
            return ExitCode(error.exitCode)
        case is ExitCode, is ValidationError, is CleanExit:
            StandardOutput.drain()
            return error
        case _ where String(reflecting: type(of: error)).hasPrefix("ArgumentParser."):
            StandardOutput.drain() // the parser's own (`winnow --help` runs its help command)
            return error
        default:
            // SQLite's own text (with SQL) never reaches a user: say what it means.
            if let known = Store.userMessage(for: error) {
                fail(code: "database_error", message: known.message, json: json)
                return ExitCode(known.exitCode)
            }
            fail(code: "internal", message: "\(error)", json: json)
            return ExitCode(1)
        }
    }

    private static func fail(code: String, message: String, json: Bool) {
        if json && !StandardOutput.hasWritten {
            try? JSONOutput.print(Document(error: .init(code: code, message: message)))
        }
        Terminal.error(message) // writes what stdout holds first
    }

    /// Whether the parsed command was given `--json` (its `OutputOptions` or `JSONOption`).
    static func wantsJSON(_ command: ParsableCommand) -> Bool {
        Mirror(reflecting: command).children.contains { child in
            (child.value as? OptionGroup<OutputOptions>)?.wrappedValue.json == true
                || (child.value as? OptionGroup<JSONOption>)?.wrappedValue.json == true
        }
    }
}

/// Finds the first word of a command line that should name a (sub)command but names none,
/// and says which command is nearest.
enum CommandSuggestion {
    /// The message for an unknown command word in `arguments`, or nil when there is none.
    static func unknownCommand(in arguments: [String], root: ParsableCommand.Type) -> String? {
        var command = root
        var path = [root._commandName]
        for (index, word) in arguments.enumerated() {
            let children = command.configuration.subcommands
            if word.hasPrefix("-") || children.isEmpty { return nil }
            if let child = children.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) {
                command = child
                path.append(word)
                continue
            }
            if word == "help" && path.count == 1 { continue } // `winnow help CMD`: CMD is checked the same way
            let names = children.map { $0._commandName }
            // A command with a default subcommand takes other words as that one's arguments
            // (`winnow review QUEUE`): the word is a typo only when it is near a subcommand's
            // name and the default subcommand cannot take the rest of the line.
            if let fallback = command.configuration.defaultSubcommand {
                let rest = Array(arguments[index...])
                if nearest(to: word, among: names) == nil || (try? fallback.parseAsRoot(rest)) != nil { return nil }
            }
            let what = path.count == 1 ? "command" : "\(path.dropFirst().joined(separator: " ")) command"
            var message = "unknown \(what) '\(word)'"
            if let nearest = nearest(to: word, among: names) {
                message += "; did you mean '\(path.joined(separator: " ")) \(nearest)'?"
            } else {
                message += "."
            }
            return message + " Commands: \(names.joined(separator: ", ")) (see `\(path.joined(separator: " ")) --help`)"
        }
        return nil
    }

    /// The name nearest to `word` by edit distance (case ignored), when it is near enough to
    /// be a typo: at most 2 edits, or 3 for longer words, or `word` is a prefix of it.
    static func nearest(to word: String, among names: [String]) -> String? {
        let lowered = word.lowercased()
        if let prefixed = names.first(where: { $0.hasPrefix(lowered) && lowered.count >= 2 }) { return prefixed }
        let scored = names.map { (name: $0, distance: editDistance(lowered, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        return best.distance <= (lowered.count > 6 ? 3 : 2) ? best.name : nil
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

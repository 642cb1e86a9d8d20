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
        subcommands: [Init.self, Import.self, Samples.self, Show.self, Taxonomy.self, Annotate.self,
                      Coverage.self, Distribution.self, Stats.self, Detect.self, Flags.self,
                      Queue.self, Review.self, Snapshot.self, Export.self,
                      SQL.self, Check.self, Backup.self]
    )

    /// Parses and runs the command line. A word that names no command (`winnow bogus`,
    /// `winnow snapshot creat`) is refused here with the nearest command by edit distance and
    /// the list of commands, before the argument parser sees it.
    static func main() {
        if let message = CommandSuggestion.unknownCommand(in: Array(CommandLine.arguments.dropFirst()), root: WinnowCommand.self) {
            Terminal.error(message)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        main(nil)
    }

    /// Runs a command body, turning library errors into one clear message and an exit code.
    /// A failed write to stdout is an error (exit 1); a closed pipe (`| head`) ends quietly.
    static func guarded(_ body: () throws -> Void) throws {
        StandardOutput.prepare()
        do {
            try body()
            try StandardOutput.finish()
        } catch let error as StandardOutput.Failure {
            if error.isBrokenPipe { throw ExitCode.success }
            Terminal.error(error.message)
            throw ExitCode(1)
        } catch let error as WinnowError {
            Terminal.error(error.description)
            throw ExitCode(error.exitCode)
        } catch let error as ExitCode {
            StandardOutput.drain()
            throw error
        } catch let error as ValidationError {
            StandardOutput.drain()
            throw error
        } catch let error as CleanExit {
            StandardOutput.drain()
            throw error
        } catch {
            // SQLite's own text (with SQL) never reaches a user: say what it means.
            if let known = Store.userMessage(for: error) {
                Terminal.error(known.message)
                throw ExitCode(known.exitCode)
            }
            Terminal.error("\(error)")
            throw ExitCode(1)
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
            if word == "help" && path.count == 1 { continue }   // `winnow help CMD`: CMD is checked the same way
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

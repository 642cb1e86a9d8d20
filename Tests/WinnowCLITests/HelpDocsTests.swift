import Foundation
import Testing

/// The README is the command reference: every command and every option that `--help` shows
/// is described there (as sqlite-utils' test_docs holds its docs to its CLI). A new option
/// without a README line fails here.
@Suite struct HelpDocsTests {
    /// Options every command has, described once in the README's introduction.
    static let common: Set<String> = ["--help", "--version", "--db", "--json", "--csv"]

    /// The subcommands a help screen lists (name, whether it is the default).
    static func subcommands(_ help: String) -> [(name: String, isDefault: Bool)] {
        guard let section = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        var found: [(String, Bool)] = []
        for line in help[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            // A name is indented two spaces; a wrapped description further.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
            found.append((String(name), line.contains("(default)")))
        }
        return found
    }

    /// The long options a help screen lists.
    static func options(_ help: String) -> Set<String> {
        guard let section = help.range(of: "OPTIONS:\n") else { return [] }
        var found = Set<String>()
        for line in help[section.upperBound...].split(separator: "\n") where line.hasPrefix("  ") && !line.hasPrefix("        ") {
            let head = line.drop { $0 == " " }
            // "  -m, --message <message> …" or "  --db <PATH> …": the option is the first word
            // that starts with "--" before the description.
            for word in head.split(separator: " ").prefix(3) where word.hasPrefix("--") {
                found.insert(String(word.prefix { $0.isLetter || $0.isNumber || $0 == "-" }))
            }
        }
        return found
    }

    /// Whether the README names a command: `winnow snapshot diff` or `snapshot diff` as typed,
    /// or as a sibling in its parent's heading (`### \`winnow snapshot create NAME\` / \`diff A B\``).
    static func documents(_ readme: String, _ path: [String]) -> Bool {
        let typed = path.joined(separator: " ")
        if readme.contains("winnow " + typed) || readme.contains("`" + typed) { return true }
        guard path.count > 1 else { return false }
        let heading = "### `winnow " + path.dropLast().joined(separator: " ") + " "
        return readme.split(separator: "\n").contains { $0.hasPrefix(heading) && $0.contains("/ `" + path.last!) }
    }

    @Test func everyCommandAndOptionInHelpIsInTheReadme() throws {
        let readme = try String(contentsOfFile: repoRoot + "/README.md", encoding: .utf8)
        var missing: [String] = []
        var visited = 0
        func walk(_ path: [String], isDefault: Bool) throws {
            let run = try winnow(path + ["--help"])
            #expect(run.status == 0, "winnow \(path.joined(separator: " ")) --help: \(run.stderr)")
            visited += 1
            let children = Self.subcommands(run.stdout)
            // A leaf is named in the README as it is typed (a default subcommand is typed as
            // its parent, `winnow review QUEUE`).
            if !path.isEmpty && children.isEmpty && !isDefault && !Self.documents(readme, path) {
                missing.append("command `winnow \(path.joined(separator: " "))`")
            }
            for option in Self.options(run.stdout).subtracting(Self.common).sorted() where !readme.contains(option) {
                missing.append("`\(option)` of `winnow \(path.joined(separator: " "))`")
            }
            for child in children { try walk(path + [child.name], isDefault: child.isDefault) }
        }
        try walk([], isDefault: false)
        #expect(visited > 30, "the walk found only \(visited) help screens: has the help format changed?")
        #expect(missing.isEmpty, "the README's command reference lacks: \(missing.joined(separator: ", "))")
    }

    /// Every help screen, by command path (`[]` is `winnow` itself), found by walking the
    /// subcommands each screen lists; and which paths are default subcommands.
    static func helpScreens() throws -> (screens: [[String]: String], defaults: Set<[String]>) {
        var screens: [[String]: String] = [:]
        var defaults: Set<[String]> = []
        func walk(_ path: [String]) throws {
            let run = try winnow(path + ["--help"])
            #expect(run.status == 0, "winnow \(path.joined(separator: " ")) --help: \(run.stderr)")
            screens[path] = run.stdout
            for child in subcommands(run.stdout) {
                if child.isDefault { defaults.insert(path) }
                try walk(path + [child.name])
            }
        }
        try walk([])
        return (screens, defaults)
    }

    /// The README's command reference: from "## Commands" to the next "## " section.
    static func commandReference(_ readme: String) -> String {
        guard let start = readme.range(of: "\n## Commands\n") else { return "" }
        let rest = readme[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)])
    }

    /// The long options named in `text` (`--exclude-flagged`, `--min-score`).
    static func longOptions(_ text: Substring) -> [String] {
        var found: [String] = []
        var rest = text[...]
        while let range = rest.range(of: "--") {
            let before = range.lowerBound == text.startIndex ? " " : text[text.index(before: range.lowerBound)]
            let word = rest[range.upperBound...].prefix { $0.isLowercase || $0.isNumber || $0 == "-" }
            if !(before.isLetter || before.isNumber || before == "-"), let first = word.first, first.isLowercase {
                found.append("--" + word)
            }
            rest = rest[range.upperBound...]
        }
        return found
    }

    /// The command paths a reference heading names: `` ### `winnow snapshot create NAME` / `list` ``
    /// names snapshot create and snapshot list; `` `flags summary` `` names flags summary.
    static func headingCommands(_ heading: Substring, screens: [[String]: String]) -> [[String]] {
        var paths: [[String]] = []
        for (index, span) in heading.split(separator: "`", omittingEmptySubsequences: false).enumerated() where index % 2 == 1 {
            var words = span.split(separator: " ").map(String.init)
            if words.first == "winnow" { words.removeFirst() }
            let path = Array(words.prefix { $0.first?.isLetter == true && $0.allSatisfy { $0.isLowercase || $0 == "-" } })
            guard !path.isEmpty else { continue }
            // A bare word after the first command is its sibling (`/ \`list\``) when there is such a command.
            if let first = paths.first, first.count > 1, path.count == 1, screens[Array(first.dropLast()) + path] != nil || screens[path] == nil {
                paths.append(Array(first.dropLast()) + path)
            } else {
                paths.append(path)
            }
        }
        return paths
    }

    /// The other direction (as sqlite-utils' test_docs): every command a reference heading
    /// names, and every command typed in its examples, exists; every option the reference
    /// names is an option of a command.
    @Test func everyCommandAndOptionTheReadmeNamesIsInHelp() throws {
        let readme = try String(contentsOfFile: repoRoot + "/README.md", encoding: .utf8)
        let reference = Self.commandReference(readme)
        #expect(reference.contains("### `winnow init`"), "the README's command reference was not found")
        let (screens, defaults) = try Self.helpScreens()
        let allOptions = Set(screens.values.flatMap { Self.options($0) })
        var stale: [String] = []
        let sections = reference.components(separatedBy: "\n### ").dropFirst()
        for section in sections {
            let lines = section.split(separator: "\n", omittingEmptySubsequences: false)
            let heading = lines[0]
            let commands = Self.headingCommands(heading, screens: screens)
            if commands.isEmpty { stale.append("a heading naming no command: \(heading)") }
            for path in commands where screens[path] == nil {
                stale.append("command `winnow \(path.joined(separator: " "))` (heading \(heading))")
            }
            // An option is named beside other commands' too (a section refers to `stats --snapshot`):
            // it must be an option of some command.
            for line in lines where !line.contains("scripts/") { // the repository's scripts take their own options
                for option in Self.longOptions(line) where !Self.common.contains(option) && !allOptions.contains(option) {
                    stale.append("`\(option)` (section \(heading))")
                }
            }
            // Commands typed in code (a fenced line or a `span` starting with winnow) exist;
            // a word after a command with a default subcommand is that one's argument.
            var fenced = false
            var typed: [Substring] = []
            for line in lines where !line.contains("names no command") { // the intro's typo examples
                if line.hasPrefix("```") { fenced.toggle(); continue }
                if fenced { typed.append(line.drop { $0 == " " || $0 == "$" }) }
                typed += line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            }
            for code in typed where code.hasPrefix("winnow ") {
                let words = code.split(separator: " ").dropFirst().prefix(2).map(String.init)
                guard let first = words.first, first.allSatisfy({ $0.isLowercase || $0 == "-" }) else { continue }
                guard let screen = screens[[first]] else { stale.append("command `winnow \(first)` (section \(heading))"); continue }
                if words.count > 1, !Self.subcommands(screen).isEmpty, !defaults.contains([first]),
                    words[1].first?.isLetter == true, words[1].allSatisfy({ $0.isLowercase || $0 == "-" }), screens[[first, words[1]]] == nil
                {
                    stale.append("command `winnow \(first) \(words[1])` (section \(heading))")
                }
            }
        }
        #expect(sections.count > 15, "the reference has only \(sections.count) sections: has its layout changed?")
        #expect(stale.isEmpty, "the README's command reference names what --help does not have: \(stale.joined(separator: ", "))")
    }

    /// The reverse walk's reading of headings and option words.
    @Test func referenceHeadingsAndOptionsAreReadAsWritten() {
        let screens: [[String]: String] = [
            ["snapshot", "create"]: "", ["snapshot", "list"]: "", ["snapshot", "show"]: "", ["show"]: "",
            ["flags"]: "", ["flags", "summary"]: "",
        ]
        #expect(
            Self.headingCommands("`winnow snapshot create NAME` / `list` / `show` / `diff A B`", screens: screens)
                == [["snapshot", "create"], ["snapshot", "list"], ["snapshot", "show"], ["snapshot", "diff"]])
        #expect(Self.headingCommands("`winnow flags` / `flags summary`", screens: screens) == [["flags"], ["flags", "summary"]])
        #expect(Self.headingCommands("`winnow coverage [--dimension D]`", screens: screens) == [["coverage"]])
        #expect(Self.headingCommands("`winnow annotate --from FILE` / `--rules FILE`", screens: screens) == [["annotate"]])
        #expect(Self.longOptions("a `--min-score S` and --exclude-flagged, not x--y nor -- comment") == ["--min-score", "--exclude-flagged"])
    }

    /// The parsing above, on a help screen's shape.
    @Test func helpScreensAreReadAsTheyAreDrawn() {
        let help = """
            SUBCOMMANDS:
              list (default)          List flags, most suspicious first.
              summary                 Per detector: open, confirmed and dismissed flags,
                                      and precision.

            OPTIONS:
              --db <PATH>             The store file (default: $WINNOW_DB, else
                                      ./winnow.db --not-an-option).
              -m, --message <message> A message kept with the snapshot.
              --exclude-flagged [<detectors>]
                                      Leave out samples with open flags.
            """
        #expect(Self.subcommands(help).map(\.name) == ["list", "summary"])
        #expect(Self.subcommands(help).map(\.isDefault) == [true, false])
        #expect(Self.options(help) == ["--db", "--message", "--exclude-flagged"])
    }
}

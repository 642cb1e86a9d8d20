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

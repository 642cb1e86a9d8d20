import Foundation
import Testing

/// Help screens compared whole with expected text, as swift-argument-parser's example tests
/// do: a change to a command's options, help texts or choice lists shows here as a diff.
/// After an intended change, rewrite the file:
/// `COLUMNS=100 .build/debug/winnow snapshot create --help > Tests/Fixtures/help/snapshot_create.txt`.
@Suite struct HelpScreenTests {
    /// The command paths with an expected screen (Tests/Fixtures/help/NAME.txt, NAME the path joined by `_`).
    static let screens: [[String]] = [
        [], ["samples"], ["snapshot", "create"], ["review", "bulk"], ["export"], ["queue", "create"], ["augment"], ["plan"], ["distribution"], ["embed"], ["cluster"],
        ["vectors", "import"], ["vectors", "export"], ["vectors", "list"], ["similar"], ["stats"], ["serve"],
    ]

    @Test(arguments: screens) func helpIsAsExpected(_ path: [String]) throws {
        let name = path.isEmpty ? "winnow" : path.joined(separator: "_")
        let expected = try String(contentsOfFile: fixtures + "/help/\(name).txt", encoding: .utf8)
        let run = try winnow(path + ["--help"], env: ["COLUMNS": "100"])
        #expect(run.status == 0)
        #expect(run.stderr == "")
        let got = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
        #expect(
            run.stdout == expected,
            """
            winnow \(path.joined(separator: " ")) --help differs from Tests/Fixtures/help/\(name).txt at line \(first + 1):
              got:      \(first < got.count ? got[first] : "(end)")
              expected: \(first < want.count ? want[first] : "(end)")
            """)
    }

    /// A closed option's choices are listed in its help, and a word outside them is refused by
    /// the parser naming them (exit 64, before the store is opened).
    @Test func closedOptionValuesAreListedAndChecked() throws {
        let help = try winnow(["samples", "--help"], env: ["COLUMNS": "100"]).stdout
        #expect(help.contains("(values: active, dropped)"))
        for (args, choices) in [
            (["samples", "--status", "gone"], "Please provide one of 'active' and 'dropped'."),
            (["flags", "--status", "shut"], "Please provide one of 'open', 'confirmed' or 'dismissed'."),
            (["queue", "create", "q", "--priority", "first"], "Please provide one of 'score', 'random' or 'oldest'."),
            (["queue", "items", "q", "--state", "done"], "Please provide one of 'pending', 'claimed', 'waiting', 'disagreement' or 'decided'."),
            (["export", "v1", "--out", "o", "--group", "cluster"], "Please provide one of 'near-duplicate' and 'semantic-duplicate'."),
            (["export", "v1", "--out", "o", "--stratify", "domain"], "Please provide one of 'label' and 'scene.DIM'."),
        ] {
            let run = try winnow(args + ["--db", "/nonexistent/w.db"])
            #expect(run.status == 64, "\(args)")
            #expect(run.stderr.hasPrefix("Error: The value '\(args[args.count - 1])' is invalid for '\(args[args.count - 2]) <"), "\(args): \(run.stderr)")
            #expect(run.stderr.contains(choices), "\(args): \(run.stderr)")
        }
    }
}

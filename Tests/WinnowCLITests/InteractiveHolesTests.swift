import Foundation
import Testing

/// Issue 11, item 12, in a real terminal (tmux): a chat edit opens its messages; a store
/// deleted under a running review stops it.
@Suite(.serialized) struct InteractiveHolesTests {
    /// A tmux server of its own, run through system(3) as in ReviewConcurrencyTests.
    final class Tmux {
        let socket = "winnow-holes-\(UUID().uuidString.prefix(8))"
        let dir: TempDir
        init(_ dir: TempDir) { self.dir = dir }
        deinit { run(["kill-server"]) }

        @discardableResult
        func run(_ args: [String]) -> String {
            let outPath = dir.file("tmux.out")
            let quoted = (["/usr/bin/tmux", "-L", socket] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            _ = system(quoted.joined(separator: " ") + " > '\(outPath)' 2>/dev/null < /dev/null")
            return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        }

        func screen() -> String { run(["capture-pane", "-t", "rv", "-p", "-J"]) }

        func waitFor(_ text: String) -> Bool {
            for _ in 0..<100 {
                if screen().contains(text) { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
    }

    static let enabled = FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")

    @Test(.enabled(if: enabled)) func aChatEditOpensItsMessages() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let chats = dir.file("c.jsonl")
        try #"{"id": "c1", "messages": [{"role": "user", "content": "hi there"}, {"role": "assistant", "content": "hello, friend"}]}"#
            .appending("\n").write(toFile: chats, atomically: true, encoding: .utf8)
        #expect(try winnow(["import", chats, "--db", db]).status == 0)
        #expect(try winnow(["queue", "create", "q", "--db", db]).status == 0)
        // An "editor" that keeps a copy of what it was given and changes nothing.
        let editor = dir.file("editor.sh")
        try "#!/bin/sh\ncp \"$1\" '\(dir.file("seen.txt"))'\n".write(toFile: editor, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: editor)
        let tmux = Tmux(dir)
        tmux.run([
            "new-session", "-d", "-s", "rv", "-x", "100", "-y", "30",
            "EDITOR='\(editor)' \(winnowBinary) review q --reviewer tui --db \(db); sleep 30",
        ])
        #expect(tmux.waitFor("[k]eep  [d]rop"))
        tmux.run(["send-keys", "-t", "rv", "e"])
        #expect(tmux.waitFor("edit cancelled (no change)"))
        let seen = try String(contentsOfFile: dir.file("seen.txt"), encoding: .utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(seen.utf8)) as? [String: Any])
        let messages = try #require(object["messages"] as? [[String: Any]])
        #expect(messages.map { $0["content"] as? String } == ["hi there", "hello, friend"])
        tmux.run(["send-keys", "-t", "rv", "q"])
    }

    @Test(.enabled(if: enabled)) func aStoreDeletedDuringTheReviewStopsIt() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["queue", "create", "q", "--label", "neutral", "--db", db]).status == 0)
        let tmux = Tmux(dir)
        tmux.run([
            "new-session", "-d", "-s", "rv", "-x", "120", "-y", "30",
            "\(winnowBinary) review q --reviewer tui --db \(db); echo \"exit $?\"; sleep 30",
        ])
        #expect(tmux.waitFor("[k]eep  [d]rop"))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        tmux.run(["send-keys", "-t", "rv", "k"])
        #expect(tmux.waitFor("exit 1"))
        let screen = tmux.screen()
        #expect(screen.contains("was deleted or replaced while this review ran"), "\(screen)")
        #expect(!FileManager.default.fileExists(atPath: db))
    }
}

import Foundation
import GRDB
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// Many reviewer processes on one queue, and the interactive review driven through tmux.
@Suite(.serialized) struct ReviewConcurrencyTests {
    @Test func eightReviewerProcessesEmptyAQueue() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["queue", "create", "all", "--overlap", "2", "--db", db]).stdout == "created queue all: 111 items added, 111 in all\n")
        let script = """
            W="$1"; DB="$2"; R="$3"
            while true; do
              out=$("$W" review next all --reviewer "$R" --lease 30 --json --db "$DB") || { echo "next failed" >&2; exit 1; }
              id=$(printf '%s' "$out" | grep -o '"id" : [0-9]*' | head -n 1 | grep -o '[0-9]*$')
              [ -z "$id" ] && break
              "$W" review decide "$id" --reviewer "$R" --action keep --db "$DB" > /dev/null || { echo "decide $id failed" >&2; exit 1; }
              echo "$id" >> "$DB.$R.log"
            done
            """
        let started = Date()
        let reviewers = (1...8).map { "r\($0)" }
        let processes = try reviewers.map { reviewer -> (Process, String) in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", script, "review-loop", winnowBinary, db, reviewer]
            let err = dir.file("\(reviewer).err")
            FileManager.default.createFile(atPath: err, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: err)
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            return (p, err)
        }
        for (p, _) in processes { p.waitUntilExit() }
        let seconds = Date().timeIntervalSince(started)
        for (p, err) in processes {
            #expect(p.terminationStatus == 0)
            let text = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            #expect(text.isEmpty, "stderr: \(text)")
            #expect(!text.contains("locked"))
        }
        // Every acknowledged decision is in the store, each item decided exactly twice.
        var acknowledged = 0
        for r in reviewers { acknowledged += ((try? String(contentsOfFile: "\(db).\(r).log", encoding: .utf8)) ?? "").split(separator: "\n").count }
        #expect(acknowledged == 222)
        #expect(try query(db, "SELECT count(*) FROM decisions") == 222)
        #expect(try query(db, "SELECT count(*) FROM (SELECT item_id FROM decisions GROUP BY item_id HAVING count(*) = 2)") == 111)
        #expect(try query(db, "SELECT count(*) FROM (SELECT item_id, reviewer FROM decisions GROUP BY 1, 2 HAVING count(*) > 1)") == 0)
        #expect(try query(db, "SELECT count(*) FROM queue_items WHERE resolved_at IS NULL") == 0)
        print("8 reviewer processes: 111 items × overlap 2 = 222 decisions in \(String(format: "%.1f", seconds)) s, 0 errors")
    }

    /// The interactive review in a real terminal: keys decide, a resize redraws, Ctrl-C keeps
    /// every decision and puts the terminal back.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
    func interactiveReviewUnderTmux() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["queue", "create", "q", "--label", "neutral", "--priority", "oldest", "--db", db]).status == 0)
        let socket = "winnow-test-\(UUID().uuidString.prefix(8))"
        /// Runs tmux through system(3): the server a new session forks keeps descriptors
        /// that would make Foundation's Process wait for it forever.
        func tmux(_ args: [String]) throws -> String {
            let outPath = dir.file("tmux.out")
            let quoted = (["/usr/bin/tmux", "-L", socket] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            _ = system(quoted.joined(separator: " ") + " > '\(outPath)' 2>/dev/null < /dev/null")
            return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        }
        func screen() throws -> String { try tmux(["capture-pane", "-t", "rv", "-p"]) }
        func waitFor(_ text: String) throws -> Bool {
            for _ in 0..<50 {
                if try screen().contains(text) { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
        defer { _ = try? tmux(["kill-server"]) }
        _ = try tmux([
            "new-session", "-d", "-s", "rv", "-x", "100", "-y", "30",
            "\(winnowBinary) review q --reviewer tui --db \(db); sleep 30",
        ])
        #expect(try waitFor("[k]eep  [d]rop  [r]elabel"))
        let first = try screen()
        #expect(first.contains("q · tui · 0/18 decided"))
        let firstUID = try #require(try query(db, "SELECT s.uid FROM queue_items qi JOIN samples s ON s.id = qi.sample_id ORDER BY qi.position LIMIT 1", as: String.self))
        #expect(first.contains(firstUID))
        _ = try tmux(["send-keys", "-t", "rv", "k"])
        #expect(try waitFor("1/18 decided"))
        #expect(try query(db, "SELECT action FROM decisions WHERE reviewer = 'tui'", as: String.self) == "keep")
        _ = try tmux(["send-keys", "-t", "rv", "r"])
        #expect(try waitFor("relabel to:"))
        _ = try tmux(["send-keys", "-t", "rv", "1"])
        #expect(try waitFor("2/18 decided"))
        #expect(try query(db, "SELECT label FROM decisions WHERE reviewer = 'tui' AND action = 'relabel'", as: String.self) == "negative")
        _ = try tmux(["resize-window", "-t", "rv", "-x", "60", "-y", "25"])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try waitFor("[k]eep"))
        _ = try tmux(["send-keys", "-t", "rv", "C-c"])
        #expect(try waitFor("interrupted; decisions so far are saved"))
        #expect(try query(db, "SELECT count(*) FROM decisions WHERE reviewer = 'tui'") == 2)
        #expect(try query(db, "PRAGMA integrity_check", as: String.self) == "ok")
    }
}

import Foundation
import Testing

/// `winnow serve` as a user runs it: the built binary on an ephemeral loopback port, a
/// reviewer signing in from the printed URL, and other winnow processes on the same store.
@Suite(.serialized) struct ServeCLITests {
    @Test func aNonLoopbackHostWithoutATokenIsRefusedBeforeAnythingListens() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["init", "--db", db]).status == 0)
        let run = try winnow(["serve", "--host", "0.0.0.0", "--port", "0", "--db", db])
        #expect(run.status != 0)
        #expect(run.stdout.isEmpty)
        #expect(
            run.stderr.hasPrefix(
                "error: --host 0.0.0.0 is not a loopback address, so anyone who can reach it could review this store: give --token T"))
        #expect(run.stderr.contains("nothing was started"))
        let short = try winnow(["serve", "--host", "0.0.0.0", "--token", "abc", "--port", "0", "--db", db])
        #expect(short.status != 0)
        #expect(short.stderr.contains("--token must be at least 16 characters"))
        let name = try winnow(["serve", "--host", "my-laptop", "--db", db])
        #expect(name.stderr.contains("is not an IP address"))
        let missing = try winnow(["serve", "--port", "0", "--db", dir.file("none.db")])
        #expect(missing.status != 0)
        #expect(missing.stderr.hasPrefix("error: "))
    }

    /// The printed URL signs a reviewer in; a decision through HTTP is in the store for
    /// `winnow sql`, while a CLI reviewer works the same queue; SIGTERM stops the server cleanly.
    @Test func aDecisionThroughTheServerIsInTheStoreWhileTheCLIWorksBeside() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        #expect(try winnow(["import", repoRoot + "/demo/reviews.jsonl", "--on-error", "skip", "--db", db]).status == 0)
        #expect(try winnow(["queue", "create", "q", "--label", "positive", "--priority", "oldest", "--db", db]).status == 0)
        let (server, port, token) = try startServe(db: db, in: dir)
        defer { if server.isRunning { server.terminate() } }
        #expect(port != 8700 && port != 0)

        #expect(try LoopbackHTTP.send(port: port, path: "/").status == 401)
        #expect(try LoopbackHTTP.send(port: port, path: "/?token=\(String(repeating: "0", count: 64))").status == 401)
        let signIn = try LoopbackHTTP.postForm(port: port, path: "/signin", fields: [("token", token), ("reviewer", "alice")])
        let cookie = try #require(signIn.cookie)
        let page = try LoopbackHTTP.send(port: port, path: "/queues/q", headers: ["Cookie": cookie])
        #expect(page.status == 200)
        let csrf = try #require(page.text.range(of: "<meta name=\"csrf\" content=\"").map { String(page.text[$0.upperBound...].prefix(64)) })
        let item = try #require(page.text.range(of: "data-item=\"").map { Int(page.text[$0.upperBound...].prefix { $0.isNumber }) ?? 0 })
        let uid = try #require(try query(db, "SELECT s.uid FROM queue_items qi JOIN samples s ON s.id = qi.sample_id WHERE qi.id = \(item)", as: String.self))

        // Another process reviews the same queue meanwhile: it gets a different item.
        let cli = try winnow(["review", "next", "q", "--reviewer", "bob", "--json", "--db", db])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(!cli.stdout.contains("\"id\":\(item),"))

        // An import writes the store while the server takes decisions: both go through.
        let corpus = dir.file("more.jsonl")
        try SeededCorpus.write(corpus, records: 20_000)
        let importer = winnowProcess(["import", corpus, "--db", db])
        importer.standardOutput = FileHandle.nullDevice
        importer.standardError = FileHandle.nullDevice
        try importer.run()
        var renewals = 0
        while importer.isRunning && renewals < 200 {
            let renewed = try LoopbackHTTP.send(
                port: port, method: "POST", path: "/api/renew",
                headers: ["Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"], body: Data("{\"item\": \(item)}".utf8))
            #expect(renewed.status == 200, "\(renewed.text)")
            renewals += 1
        }
        let decided = try LoopbackHTTP.postForm(
            port: port, path: "/queues/q/decide", fields: [("csrf", csrf), ("item", String(item)), ("action", "drop")], headers: ["Cookie": cookie])
        #expect(decided.status == 303)
        importer.waitUntilExit()
        #expect(importer.terminationStatus == 0)
        #expect(renewals > 0)
        #expect(try query(db, "SELECT count(*) FROM samples WHERE uid GLOB 'r[0-9]*'") ?? 0 > 15_000)
        let sql = try winnow([
            "sql", "SELECT s.status || ' ' || d.reviewer || ' ' || d.action FROM samples s JOIN decisions d ON d.sample_id = s.id WHERE s.uid = '\(uid)'", "--db", db,
        ])
        #expect(sql.stdout.contains("dropped alice drop"), "\(sql.stdout)\(sql.stderr)")
        let status = try winnow(["queue", "status", "q", "--json", "--db", db])
        let counts = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(counts["decided"] as? Int == 1, "\(status.stdout)")
        // Undo from the page, and the CLI sees it.
        #expect(try LoopbackHTTP.postForm(port: port, path: "/queues/q/undo", fields: [("csrf", csrf)], headers: ["Cookie": cookie]).status == 303)
        #expect(try query(db, "SELECT status FROM samples WHERE uid = '\(uid)'", as: String.self) == "active")

        // A second server on the same port is refused with what to do.
        let busy = try winnow(["serve", "--port", String(port), "--db", db])
        #expect(busy.status == 1)
        #expect(
            busy.stderr
                == "error: cannot listen on 127.0.0.1:\(port): bind failed: Address already in use; is another server on that port? Give another --port (0 picks a free one)\n")

        server.terminate() // SIGTERM
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        #expect(((try? String(contentsOfFile: dir.file("serve.err"), encoding: .utf8)) ?? "").contains("winnow serve: stopped"))
        #expect(try winnow(["check", "--db", db]).status == 0)
    }
}

/// Starts `winnow serve --port 0` on `db` (output in `dir`) and reads the printed URL: the
/// process, its port and the sign-in token.
func startServe(db: String, in dir: TempDir) throws -> (Process, UInt16, String) {
    let out = dir.file("serve.out")
    let err = dir.file("serve.err")
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    let server = winnowProcess(["serve", "--port", "0", "--db", db])
    server.standardOutput = FileHandle(forWritingAtPath: out)
    server.standardError = FileHandle(forWritingAtPath: err)
    server.standardInput = FileHandle.nullDevice
    try server.run()
    // The URL line: http://127.0.0.1:PORT/?token=64 hex digits.
    var url: String?
    for _ in 0..<600 where url == nil { // up to 30 s: a loaded machine starts slowly
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        url = text.split(separator: "\n").first { $0.hasPrefix("http://127.0.0.1:") }.map(String.init)
        if url == nil { Thread.sleep(forTimeInterval: 0.05) }
    }
    guard let printed = url, let match = printed.wholeMatch(of: /http:\/\/127\.0\.0\.1:([0-9]+)\/\?token=([0-9a-f]{64})/),
        let port = UInt16(String(match.1))
    else {
        server.terminate()
        throw WinnowTestFailure("serve printed no URL: \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
    }
    return (server, port, String(match.2))
}

/// A test's own failure, thrown to stop it with a message.
struct WinnowTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import Testing

/// `winnow serve` over real HTTP on an ephemeral loopback port, the built binary in its own
/// process: routing, headers, percent-decoded queue names, the body limit, and several
/// reviewers' sessions emptying an overlap-2 queue together.
@Suite(.serialized) struct ServeHTTPCLITests {
    /// A store of six samples (s1…s3 labelled pos, s4…s6 neg) and queue `q` of all of them.
    func store(overlap: Int = 1) throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        let lines = (1...6).map { i in
            #"{"id": "s\#(i)", "text": "review sample number \#(i) with words of its own \#(String(repeating: "x", count: i))", "label": "\#(i <= 3 ? "pos" : "neg")"}"#
        }
        dir.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        #expect(try winnow(["import", dir.file("in.jsonl"), "--db", db]).status == 0)
        let made = try winnow(["queue", "create", "q", "--priority", "oldest", "--overlap", String(overlap), "--db", db])
        #expect(made.status == 0, "\(made.stderr)")
        return (dir, db)
    }

    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: "<meta name=\"csrf\" content=\"") else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test func theServerAnswersOverRealHTTPOnAnEphemeralPort() throws {
        let (dir, db) = try store()
        for name in ["two wörds", "a%41", "aA"] { #expect(try winnow(["queue", "create", name, "--priority", "oldest", "--db", db]).status == 0) }
        let (server, port, token) = try startServe(db: db, in: dir)
        defer { if server.isRunning { server.terminate() } }
        let denied = try LoopbackHTTP.send(port: port, path: "/api/queues")
        #expect(denied.status == 401)
        #expect(denied.body.isEmpty)
        let form = try LoopbackHTTP.send(port: port, path: "/?token=\(token)")
        #expect(form.status == 200)
        #expect(form.headers["content-security-policy"]?.hasPrefix("default-src 'self'") == true)
        let signedIn = try LoopbackHTTP.postForm(port: port, path: "/signin", fields: [("token", token), ("reviewer", "alice")])
        #expect(signedIn.status == 303)
        #expect(signedIn.headers["set-cookie"]?.contains("HttpOnly; SameSite=Strict") == true)
        let cookie = try #require(signedIn.cookie)
        let page = try LoopbackHTTP.send(port: port, path: "/queues/q", headers: ["Cookie": cookie])
        #expect(page.status == 200)
        let csrf = try #require(Self.csrf(in: page.text))
        let list = try LoopbackHTTP.send(port: port, path: "/", headers: ["Cookie": cookie])
        #expect(list.text.contains("<a href=\"/queues/two%20w%C3%B6rds\">two wörds</a>"))
        let spaced = try LoopbackHTTP.send(port: port, path: "/queues/two%20w%C3%B6rds", headers: ["Cookie": cookie])
        #expect(spaced.status == 200)
        #expect(spaced.text.contains("two wörds · item"))
        // A name with a literal '%' is decoded once: a%41 is not aA.
        let literal = try LoopbackHTTP.send(port: port, path: "/queues/a%2541", headers: ["Cookie": cookie])
        #expect(literal.status == 200 && literal.text.contains("a%41 · item"), "\(literal.status) \(literal.text.prefix(300))")
        let script = try LoopbackHTTP.send(port: port, path: "/assets/app.js", headers: ["Cookie": cookie])
        #expect(script.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(script.text.contains("navigator.sendBeacon(\"/api/release\""))
        let item = try #require(
            try query(db, "SELECT qi.id FROM queue_items qi JOIN queues q ON q.id = qi.queue_id JOIN samples s ON s.id = qi.sample_id WHERE q.name = 'q' AND s.uid = 's1'"))
        let decided = try LoopbackHTTP.send(
            port: port, method: "POST", path: "/api/decide",
            headers: ["Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"], body: Data("{\"item\": \(item), \"action\": \"drop\"}".utf8))
        #expect(decided.status == 200)
        #expect(decided.text.contains("\"state\":\"applied\""))
        #expect(try query(db, "SELECT status FROM samples WHERE uid = 's1'", as: String.self) == "dropped")
        let wrong = try LoopbackHTTP.send(port: port, method: "POST", path: "/api/undo", headers: ["Cookie": cookie, "X-CSRF-Token": "nope"])
        #expect(wrong.status == 403)
        #expect(try query(db, "SELECT status FROM samples WHERE uid = 's1'", as: String.self) == "dropped")
        // A body over the limit (1 MiB) is refused from its Content-Length, before it is read.
        let tooBig = try LoopbackHTTP.send(
            port: port, method: "POST", path: "/api/decide", headers: ["Cookie": cookie, "X-CSRF-Token": csrf, "Content-Length": String(3 << 20)])
        #expect(tooBig.status == 413)
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }

    /// Four reviewers' sessions, each on its own thread, empty a queue with overlap 2 over
    /// HTTP: every item gets exactly two decisions from two different reviewers, none is lost,
    /// no request fails. (The 20-session, 2,000-item load test is later work.)
    @Test func fourSessionsEmptyAnOverlapTwoQueueTogether() throws {
        let (dir, db) = try store(overlap: 2)
        let (server, port, token) = try startServe(db: db, in: dir)
        defer { if server.isRunning { server.terminate() } }
        let failures = FailureLog()
        let group = DispatchGroup()
        for reviewer in ["ana", "ben", "cai", "dee"] {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let signIn = try LoopbackHTTP.postForm(port: port, path: "/signin", fields: [("token", token), ("reviewer", reviewer)])
                    guard let cookie = signIn.cookie else { return failures.add("\(reviewer): no cookie") }
                    let page = try LoopbackHTTP.send(port: port, path: "/", headers: ["Cookie": cookie])
                    guard let csrf = Self.csrf(in: page.text) else { return failures.add("\(reviewer): no csrf") }
                    for _ in 0..<300 {
                        let next = try LoopbackHTTP.send(port: port, path: "/api/queues/q/next", headers: ["Cookie": cookie])
                        guard next.status == 200, let doc = try JSONSerialization.jsonObject(with: next.body) as? [String: Any] else {
                            return failures.add("\(reviewer): next \(next.status) \(next.text)")
                        }
                        guard let item = doc["item"] as? [String: Any], let id = item["id"] as? Int else {
                            let wait = doc["wait"] as? [String: Any]
                            if (wait?["leased_by_others"] as? Int ?? 0) == 0 { return }
                            Thread.sleep(forTimeInterval: 0.02)
                            continue
                        }
                        let decided = try LoopbackHTTP.send(
                            port: port, method: "POST", path: "/api/decide",
                            headers: ["Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"],
                            body: Data("{\"item\": \(id), \"action\": \"keep\"}".utf8))
                        if decided.status != 200 { failures.add("\(reviewer): decide \(decided.status) \(decided.text)") }
                    }
                    failures.add("\(reviewer): still going after 300 rounds")
                } catch {
                    failures.add("\(reviewer): \(error)")
                }
            }
        }
        group.wait()
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(try query(db, "SELECT count(*) FROM decisions WHERE undone_at IS NULL") == 12)
        #expect(try query(db, "SELECT count(*) FROM (SELECT item_id FROM decisions GROUP BY item_id HAVING count(DISTINCT reviewer) = 2)") == 6)
        #expect(try query(db, "SELECT count(*) FROM queue_items WHERE resolved_at IS NULL") == 0)
    }
}

/// Failures gathered from several threads.
final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    func add(_ entry: String) { lock.withLock { entries.append(entry) } }
    var all: [String] { lock.withLock { entries } }
}

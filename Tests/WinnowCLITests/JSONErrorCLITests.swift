import Foundation
import Testing

/// With `--json`, a failed command's error is also a document on stdout,
/// `{"error": {"code": …, "message": …}}` (README, "Output"), beside the `error: …` line on stderr.
@Suite struct JSONErrorCLITests {
    /// The error document of a run, checked against its stderr line and exit code.
    func error(_ run: Run, status: Int32 = 1) throws -> (code: String, message: String) {
        #expect(run.status == status, "\(run.stdout)\(run.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
        #expect(doc.keys.sorted() == ["error"])
        let error = try #require(doc["error"] as? [String: Any])
        #expect(error.keys.sorted() == ["code", "message"])
        let code = try #require(error["code"] as? String)
        let message = try #require(error["message"] as? String)
        #expect(run.stderr == "error: \(message)\n")
        return (code, message)
    }

    @Test func notFoundAlreadyExistsAndInvalidArgumentAreMachineReadable() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }

        let missing = try error(try winnow(["show", "no-such-uid", "--json", "--db", db]))
        #expect(missing.code == "not_found")
        #expect(missing.message == "no sample with uid 'no-such-uid'; list uids with `winnow samples`")
        // Without --json: the same line on stderr, nothing on stdout.
        let plain = try winnow(["show", "no-such-uid", "--db", db])
        #expect(plain.status == 1 && plain.stdout == "" && plain.stderr == "error: " + missing.message + "\n")

        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        let exists = try error(try winnow(["snapshot", "create", "v1", "--json", "--db", db]))
        #expect(exists.code == "already_exists")
        #expect(exists.message.hasPrefix("snapshot 'v1' exists already"))

        let invalid = try error(try winnow(["detect", "no-such-detector", "--json", "--db", db]))
        #expect(invalid.code == "invalid_argument")
        #expect(invalid.message.hasPrefix("unknown detector 'no-such-detector'"))

        // The store's own failures carry their code and exit code too.
        let absent = try error(try winnow(["stats", "--json", "--db", dir.file("absent.db")]))
        #expect(absent.code == "store_missing")
    }

    /// A decision on an item whose lease ran out and that another reviewer decided meanwhile
    /// is `lease_lost`. The lease is a millisecond: it has run out by the time the next process
    /// looks (no sleep), as in ReviewCLITests.leasesExpireAndALostLeaseIsRefused.
    @Test func aLostLeaseIsMachineReadable() throws {
        let (dir, db) = try demoReviewStore()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["queue", "create", "q", "--label", "neutral", "--priority", "oldest", "--db", db]).status == 0)
        func next(_ reviewer: String, lease: String) throws -> Int {
            let run = try winnow(["review", "next", "q", "--reviewer", reviewer, "--lease", lease, "--json", "--db", db])
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
            return try #require((doc["item"] as? [String: Any])?["id"] as? Int, "\(run.stdout)")
        }
        let item = try next("alice", lease: "0.001")
        #expect(try next("carol", lease: "600") == item) // expired: back in the queue
        #expect(try winnow(["review", "decide", "\(item)", "--reviewer", "carol", "--action", "keep", "--db", db]).status == 0)
        let lost = try error(try winnow(["review", "decide", "\(item)", "--reviewer", "alice", "--action", "keep", "--json", "--db", db]))
        #expect(lost.code == "lease_lost")
        #expect(lost.message.hasPrefix("lease lost: your lease on item \(item) expired at "))
        #expect(lost.message.hasSuffix(" and carol decided it; nothing was recorded — take the next item with `winnow review next`"))
    }

    /// Usage errors stay the parser's (text, exit 64): the command line was not understood.
    @Test func usageErrorsStayText() throws {
        let run = try winnow(["samples", "--json", "--limit", "-3", "--db", "/nonexistent/w.db"])
        #expect(run.status == 64)
        #expect(run.stdout == "")
        #expect(run.stderr.hasPrefix("Error: "))
    }
}

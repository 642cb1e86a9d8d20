import Foundation

/// A signed-in reviewer: who, and the CSRF token every state-changing request of theirs must carry.
struct ReviewSession: Sendable {
    var reviewer: String
    var csrf: String
    /// A message for the next page (a decision's outcome, an error), shown once.
    var flash: String?
}

/// The server's sign-in secret and its sessions, in memory (a restart signs everyone out).
/// Session ids and CSRF tokens are 256 random bits; comparisons are constant-time.
final class SessionTable: @unchecked Sendable {
    /// The token the printed URL carries: the user's `--token`, or a random one for this run.
    let signInToken: String
    private var sessions: [String: ReviewSession] = [:]
    private let lock = NSLock()

    init(signInToken: String) {
        self.signInToken = signInToken
    }

    /// 32 random bytes as 64 hex digits, from the system's generator.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Whether `token` is the sign-in token.
    func isSignInToken(_ token: String?) -> Bool {
        guard let token else { return false }
        return SessionTable.constantTimeEqual(token, signInToken)
    }

    /// Opens a session for `reviewer`; returns its id (the cookie's value).
    func open(reviewer: String) -> String {
        let id = SessionTable.randomToken()
        lock.withLock { sessions[id] = ReviewSession(reviewer: reviewer, csrf: SessionTable.randomToken()) }
        return id
    }

    func session(_ id: String?) -> ReviewSession? {
        guard let id, !id.isEmpty else { return nil }
        return lock.withLock { sessions[id] }
    }

    func close(_ id: String) {
        _ = lock.withLock { sessions.removeValue(forKey: id) }
    }

    /// Keeps `message` for the session's next page.
    func setFlash(_ id: String, _ message: String) {
        lock.withLock { sessions[id]?.flash = message }
    }

    /// The session's message, once.
    func takeFlash(_ id: String) -> String? {
        lock.withLock {
            let message = sessions[id]?.flash
            sessions[id]?.flash = nil
            return message
        }
    }

    /// Compares without an early exit, so the time taken says nothing about where they differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

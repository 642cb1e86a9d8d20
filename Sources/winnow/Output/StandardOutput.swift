import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Standard output, buffered and written with write(2). A failed write never crashes: it is
/// remembered, later output is dropped, and `finish()` or `check()` report it once.
enum StandardOutput {
    /// A write to standard output failed with `code` (an errno).
    struct Failure: Error {
        var code: Int32
        /// The reader of a pipe went away (`| head`): the command stops quietly.
        var isBrokenPipe: Bool { code == EPIPE }
        var message: String { "writing standard output failed: \(String(cString: strerror(code)))" }
    }

    nonisolated(unsafe) private static var buffer: [UInt8] = []
    nonisolated(unsafe) private static var failure: Failure?
    /// Whether the command has written anything to stdout (buffered or not).
    nonisolated(unsafe) private(set) static var hasWritten = false
    /// A terminal gets every piece at once; pipes and files get 64 KiB writes.
    nonisolated(unsafe) private static var isTerminal = isatty(1) == 1
    private static let bufferSize = 1 << 16

    /// Makes sure descriptors 0, 1 and 2 are open, so that no file the command opens (the
    /// store itself) can become "standard output". A closed stdout or stderr becomes a
    /// read-only /dev/null, on which writes fail with EBADF as they would have.
    static func prepare() {
        signal(SIGPIPE, SIG_IGN) // a closed pipe is EPIPE from write(2), handled below
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let null = open("/dev/null", O_RDONLY)
            if null >= 0 && null != fd { dup2(null, fd); close(null) }
        }
        isTerminal = isatty(1) == 1
    }

    /// Appends `text`; written at once on a terminal, else when the buffer fills.
    static func write(_ text: String) {
        guard failure == nil else { return }
        if !text.isEmpty { hasWritten = true }
        buffer.append(contentsOf: text.utf8)
        if isTerminal || buffer.count >= bufferSize { drain() }
    }

    /// Writes out what is buffered (no error is thrown: see `check`).
    static func drain() {
        guard failure == nil, !buffer.isEmpty else { buffer.removeAll(keepingCapacity: true); return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(1, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = Failure(code: errno)
                    return
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Throws the first write failure, if any: streaming loops call it to stop early.
    static func check() throws {
        if let failure { throw failure }
    }

    /// Writes out everything and throws the first failure.
    static func finish() throws {
        drain()
        try check()
    }
}

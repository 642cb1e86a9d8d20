import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Writing to the terminal: stdout for results, stderr for errors and progress.
enum Terminal {
    static func error(_ message: String) {
        writeStandardError("error: " + message + "\n")
    }

    static func note(_ message: String) {
        writeStandardError(message + "\n")
    }

    /// Writes to stderr after what stdout holds (so the two stay in order); a failure is ignored.
    static func writeStandardError(_ text: String) {
        StandardOutput.drain()
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    static var width: Int {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(columns) { return n }
        return 100
    }
}

/// Progress on stderr with rate and ETA. On a terminal, a one-line bar redrawn in place; off a
/// terminal (a log file, CI), a plain line now and then: every `lineInterval` seconds
/// (WINNOW_PROGRESS_SECONDS, default 10), so a short command prints nothing. A command with
/// several steps names each with `step(_:)`; rate and ETA restart with each step.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var label: String
    private var started = Date()
    private let enabled = Terminal.stderrIsTerminal
    private let lineInterval: Double
    private var lastDrawn = Date.distantPast
    private var lastLine: Date
    private var drawn = false

    init(label: String) {
        self.label = label
        let env = ProcessInfo.processInfo.environment["WINNOW_PROGRESS_SECONDS"].flatMap(Double.init)
        lineInterval = env.map { $0.isFinite ? max(0, $0) : 10 } ?? 10
        lastLine = Date()
    }

    /// A new step of the same command: its own label, rate and ETA.
    func step(_ label: String) {
        lock.lock(); defer { lock.unlock() }
        guard label != self.label else { return }
        self.label = label
        started = Date()
    }

    func update(done: Int, total: Int, items: Int, unit: String) {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let rate = Double(items) / elapsed
        let eta = fraction > 0 ? elapsed / fraction - elapsed : 0
        if enabled {
            // At most ten redraws a second, however often the work reports.
            guard now.timeIntervalSince(lastDrawn) >= 0.1 || done >= total else { return }
            lastDrawn = now
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let line = String(
                format: "\r\u{1B}[2K%@ %@ %3.0f%%  %@ %@  %@ %@/s  ETA %@ ", label, bar, fraction * 100,
                Format.count(items), unit, Format.count(Int(rate)), unit, Format.duration(eta))
            Terminal.writeStandardError(line)
            drawn = true
        } else {
            guard now.timeIntervalSince(lastLine) >= lineInterval else { return }
            lastLine = now
            Terminal.writeStandardError(
                String(
                    format: "%@: %.0f%%, %@ %@, %@ %@/s, %@ elapsed, ETA %@\n", label, fraction * 100,
                    Format.count(items), unit, Format.count(Int(rate)), unit,
                    Format.duration(elapsed), Format.duration(eta)))
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        guard enabled, drawn else { return }
        Terminal.writeStandardError("\r\u{1B}[2K")
    }
}

/// Number and time formatting for human output.
enum Format {
    static func count(_ n: Int) -> String {
        if n >= 10_000_000 { return String(format: "%.0fM", Double(n) / 1e6) }
        if n >= 1_000_000 { return String(format: "%.1fM", Double(n) / 1e6) }
        if n >= 10_000 { return String(format: "%.0fk", Double(n) / 1e3) }
        return "\(n)"
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }

    static func seconds(_ s: Double) -> String { String(format: "%.2f", s) }
}

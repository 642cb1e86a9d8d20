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

/// A one-line progress bar on stderr with rate and ETA, drawn only when stderr is a terminal.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let started = Date()
    private let enabled = Terminal.stderrIsTerminal
    private var drawn = false

    init(label: String) { self.label = label }

    func update(done: Int, total: Int, items: Int, unit: String) {
        guard enabled else { return }
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let rate = Double(items) / elapsed
        let eta = fraction > 0 ? elapsed / fraction - elapsed : 0
        let line = String(format: "\r%@ %@ %3.0f%%  %@ %@  %@ %@/s  ETA %@ ", label, bar, fraction * 100,
                          Format.count(items), unit, Format.count(Int(rate)), unit, Format.duration(eta))
        Terminal.writeStandardError(line)
        drawn = true
    }

    func finish() {
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

import ArgumentParser
import Foundation
import WinnowKit
#if canImport(Glibc)
    import Glibc
#endif

/// The terminal state to restore on exit, reachable from signal handlers.
nonisolated(unsafe) private var savedTerminal = termios()
nonisolated(unsafe) private var terminalIsRaw = false
nonisolated(unsafe) private var resized: sig_atomic_t = 0

private func restoreTerminal() {
    if terminalIsRaw {
        var t = savedTerminal
        tcsetattr(0, TCSAFLUSH, &t)
        terminalIsRaw = false
    }
    rawWrite("\u{1B}[?25h")
}

/// Writes straight to stdout, ignoring failures (also from signal handlers).
private func rawWrite(_ text: String) {
    text.withCString { _ = Glibc.write(1, $0, strlen($0)) }
}

extension WinnowCommand.Review {
    /// `winnow review QUEUE --reviewer NAME`: one key per decision.
    struct Interactive: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "interactive",
            abstract: "Review a queue in the terminal, one key per decision.",
            discussion: "Keys: k keep, d drop, r relabel, e edit in $EDITOR, s skip, u undo, q quit. Example: winnow review noisy --reviewer alice")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The queue.", transform: nameArgument(.queue)) var queue: String
        @Option(help: "Who reviews.", transform: nameArgument(.reviewer)) var reviewer: String
        @Option(help: "Lease length in seconds.") var lease: Double = 600
        @Flag(name: .customLong("all-flags"), help: "Decisions confirm or dismiss all of a sample's open flags, not only the queue's detectors'.")
        var allFlags = false

        func validate() throws { try validateLease(lease) }

        func run() throws {
            guard isatty(0) == 1, isatty(1) == 1 else {
                throw WinnowError.invalidArgument("interactive review needs a terminal; script it with `winnow review next` and `winnow review decide`")
            }
            let opened = try store.open()
            _ = try opened.queueStatus(queue) // an unknown queue fails before the screen changes
            let identity = FileIdentity(path: store.path)
            enterRawMode()
            defer { restoreTerminal() }
            var message = ""
            var current: ReviewItem?
            loop: while true {
                if current == nil { current = try opened.nextItem(queue: queue, reviewer: reviewer, leaseSeconds: lease) }
                guard let item = current else {
                    draw("Nothing left in \(queue) for \(reviewer). \(message)\n\npress any key to quit")
                    _ = readKey()
                    break
                }
                draw(screen(item, message: message))
                message = ""
                guard let key = readKey() else { continue } // a resize: draw again
                // A store deleted or replaced under us would take decisions into a file nobody sees.
                guard FileIdentity(path: store.path) == identity else {
                    restoreTerminal()
                    emit("\u{1B}[2J\u{1B}[H")
                    throw WinnowError.storeUnavailable(
                        path: store.path, detail: "it was deleted or replaced while this review ran, so the key pressed was not applied; find the store and start the review again")
                }
                do {
                    switch key {
                    case "k": message = try decide(opened, item, .keep)
                    case "d": message = try decide(opened, item, .drop)
                    case "s": message = try decide(opened, item, .skip)
                    case "r":
                        let labels = try opened.labels(kind: item.kind).filter { $0 != item.label }
                        if labels.isEmpty { message = "no other label to choose"; continue }
                        let menu = labels.prefix(9).enumerated().map { "  \($0.offset + 1)  \($0.element)" }.joined(separator: "\r\n")
                        draw(screen(item, message: "relabel to:\r\n" + menu + "\r\n  (other key: cancel)"))
                        if let choice = readKey(), let n = Int(String(choice)), n >= 1, n <= min(9, labels.count) {
                            var request = DecisionRequest(item: item.id, reviewer: reviewer, action: .relabel)
                            request.allFlags = allFlags
                            request.label = labels[n - 1]
                            message = ReviewScreen.outcomeLine(try opened.decide(request))
                        } else {
                            message = "relabel cancelled"
                            continue
                        }
                    case "e":
                        guard let edited = try edit(item) else { message = "edit cancelled (no change)"; continue }
                        var request = DecisionRequest(item: item.id, reviewer: reviewer, action: .edit)
                        request.allFlags = allFlags
                        request.text = edited
                        message = ReviewScreen.outcomeLine(try opened.decide(request))
                    case "u":
                        try opened.release(item: item.id, reviewer: reviewer)
                        let o = try opened.undo(reviewer: reviewer)
                        message = "undid \(o.action) on \(o.uid)"
                    case "q", "\u{1B}":
                        try opened.release(item: item.id, reviewer: reviewer)
                        break loop
                    default:
                        message = "keys: k keep · d drop · r relabel · e edit · s skip · u undo · q quit"
                        continue
                    }
                } catch let error as WinnowError {
                    message = "! " + error.description
                }
                current = nil
            }
            restoreTerminal()
            emit("\u{1B}[2J\u{1B}[H")
            let status = try opened.queueStatus(queue)
            emit("\(queue): \(status.decided) of \(status.items) decided\n")
        }

        private func decide(_ store: Store, _ item: ReviewItem, _ action: DecisionAction) throws -> String {
            var request = DecisionRequest(item: item.id, reviewer: reviewer, action: action)
            request.allFlags = allFlags
            return ReviewScreen.outcomeLine(try store.decide(request))
        }

        private func screen(_ item: ReviewItem, message: String) -> String {
            let width = Terminal.width
            var out = "\(queue) · \(reviewer) · \(item.decided)/\(item.items) decided  " + bar(item.items > 0 ? Double(item.decided) / Double(item.items) : 0, width: 20) + "\n\n"
            out += ReviewScreen.describe(item, width: width, allFlags: allFlags)
            out += "\n[k]eep  [d]rop  [r]elabel  [e]dit  [s]kip  [u]ndo  [q]uit\n"
            if !message.isEmpty { out += "\n" + message + "\n" }
            return out
        }

        /// Clears the screen and writes `text` (raw mode needs CR before LF).
        private func draw(_ text: String) {
            let body = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
            emit("\u{1B}[2J\u{1B}[H" + body)
        }

        private func enterRawMode() {
            tcgetattr(0, &savedTerminal)
            var raw = savedTerminal
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
            raw.c_cc.6 = 1 // VMIN
            raw.c_cc.5 = 0 // VTIME
            tcsetattr(0, TCSAFLUSH, &raw)
            terminalIsRaw = true
            emit("\u{1B}[?25l")
            // Ctrl-C: every decision is already committed; put the terminal back and leave.
            signal(SIGINT) { _ in
                restoreTerminal()
                rawWrite("\r\ninterrupted; decisions so far are saved\r\n")
                Glibc.exit(130)
            }
            signal(SIGTERM) { _ in
                restoreTerminal(); Glibc.exit(143)
            }
            // A resize interrupts the read so the screen is drawn again at the new width.
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in resized = 1 }
            action.sa_flags = 0
            sigaction(SIGWINCH, &action, nil)
        }

        /// One key, or nil when a resize interrupted the wait.
        private func readKey() -> Character? {
            var byte: UInt8 = 0
            let n = read(0, &byte, 1)
            if n <= 0 { resized = 0; return nil }
            return Character(Unicode.Scalar(byte))
        }

        /// Opens the content in $EDITOR; the edited text, or nil when unchanged.
        private func edit(_ item: ReviewItem) throws -> String? {
            let original = try item.editorText()
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-edit-\(item.uid).txt").path
            try original.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            restoreTerminal()
            let editor = ProcessInfo.processInfo.environment["EDITOR"] ?? "vi"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(editor) \"$1\"", "sh", path]
            try process.run()
            process.waitUntilExit()
            enterRawMode()
            let edited = (try? String(contentsOfFile: path, encoding: .utf8)) ?? original
            return edited == original ? nil : edited
        }
    }
}

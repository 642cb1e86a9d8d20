import ArgumentParser
import Foundation
import WinnowKit
import WinnowServe

#if canImport(Glibc)
    import Glibc
#endif

extension WinnowCommand {
    /// `winnow serve`: the review queues in a browser, from this binary, over the same store.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Review the queues in a browser: a web server over the store, every asset embedded.",
            discussion: """
                Prints a URL with a sign-in token (http://127.0.0.1:PORT/?token=…); each reviewer opens it \
                and gives a name. Loopback only unless --host names another address, which needs --token. \
                Runs until Ctrl-C (or SIGTERM). Other winnow processes may use the store meanwhile.

                Example: winnow serve --port 0
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "The port to listen on (0: any free port, printed).") var port: Int = 8700
        @Option(help: "The address to listen on; one outside loopback needs --token.") var host: String = "127.0.0.1"
        @Option(help: ArgumentHelp("The sign-in token (default: a random one for this run).", valueName: "T")) var token: String?
        @Option(help: "Lease length in seconds of an item a page shows (renewed while it is open).") var lease: Double = 600

        func validate() throws { try validateLease(lease) }

        func run() throws {
            let address = try ServeAddress.checked(host: host, port: port, token: token)
            let opened = try store.open()
            let app = ServeApp(store: opened, signInToken: token, leaseSeconds: lease)
            let server = try ReviewServer(app: app, address: address)
            let outcome = ServeOutcome()
            let done = DispatchSemaphore(value: 0)
            Task {
                do { try await server.run() } catch { outcome.set(error) }
                done.signal()
            }
            Task {
                guard let port = try? await server.waitUntilListening() else { return }
                emit("winnow serve: \(opened.path), reviewers sign in at\n")
                emit(ReviewServer.url(host: address.host, port: port, token: app.signInToken) + "\n")
                StandardOutput.drain()
            }
            // Ctrl-C and SIGTERM stop it: requests in flight finish, every decision is committed.
            signal(SIGINT, SIG_IGN)
            signal(SIGTERM, SIG_IGN)
            let sources = [SIGINT, SIGTERM].map { number in
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    outcome.stopping()
                    Task { await server.stop(timeout: 3) }
                }
                source.resume()
                return source
            }
            done.wait()
            sources.forEach { $0.cancel() }
            if let error = outcome.error, !outcome.isStopping {
                if error is WinnowError { throw error }
                throw WinnowError.invalidArgument("the server stopped: \(error); start it again")
            }
            Terminal.note("winnow serve: stopped")
        }
    }
}

/// The server task's error, handed back to the command's thread.
final class ServeOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    private var stopRequested = false
    var error: Error? { lock.withLock { stored } }
    /// A signal asked the server to stop (its run then ends with a cancellation, not a failure).
    var isStopping: Bool { lock.withLock { stopRequested } }
    func set(_ error: Error) { lock.withLock { stored = error } }
    func stopping() { lock.withLock { stopRequested = true } }
}

import FlyingFox
import FlyingSocks
import Foundation
import WinnowKit

/// Where `winnow serve` listens, checked before anything binds: loopback by default; any other
/// address only with a token the user chose (a random one printed to a shared network would
/// be readable by anyone who sees the terminal, and guessable by no one, but the user must
/// decide to expose the store).
public struct ServeAddress: Sendable, Equatable {
    public var host: String
    public var port: UInt16

    /// The shortest `--token` accepted for a non-loopback bind.
    public static let minTokenLength = 16

    /// Checks `host`, `port` and `token`: `host` is an IPv4 or IPv6 address or `localhost`;
    /// a host outside loopback needs `token` of at least `minTokenLength` characters.
    public static func checked(host: String, port: Int, token: String?) throws -> ServeAddress {
        guard (0...65535).contains(port) else {
            throw WinnowError.invalidArgument("--port \(port) is not a port; give 0 to 65535 (0: any free port, printed at start)")
        }
        let ip = host == "localhost" ? "127.0.0.1" : host
        guard isIPv4(ip) || isIPv6(ip) else {
            throw WinnowError.invalidArgument("--host \(JSONText.quote(host)) is not an IP address; give one such as 127.0.0.1 (the default, this machine only) or ::1")
        }
        if let token {
            guard token.count >= minTokenLength, !token.contains(where: { $0.isWhitespace || $0 == "&" || $0 == "#" || $0 == "%" }) else {
                throw WinnowError.invalidArgument(
                    "--token must be at least \(minTokenLength) characters without spaces, '&', '#' or '%' (for example from `openssl rand -hex 16`)")
            }
        }
        if !isLoopback(ip) && token == nil {
            throw WinnowError.invalidArgument(
                "--host \(host) is not a loopback address, so anyone who can reach it could review this store: give --token T (at least \(minTokenLength) characters, for example from `openssl rand -hex 16`) and share the printed URL only with the reviewers; nothing was started"
            )
        }
        return ServeAddress(host: ip, port: UInt16(port))
    }

    /// 127.0.0.0/8 and ::1.
    public static func isLoopback(_ ip: String) -> Bool {
        if isIPv4(ip) { return ip.split(separator: ".").first == "127" }
        var address = in6_addr()
        guard inet_pton(AF_INET6, ip, &address) == 1 else { return false }
        return withUnsafeBytes(of: &address) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
    }

    static func isIPv4(_ ip: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, ip, &address) == 1
    }

    static func isIPv6(_ ip: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, ip, &address) == 1
    }
}

/// `ServeApp` on a socket, through FlyingFox. Store calls block (SQLite, busy waits), so each
/// request is answered on a Dispatch queue, off Swift's cooperative threads; no transaction
/// is held between requests.
public final class ReviewServer: Sendable {
    public let app: ServeApp
    private let server: HTTPServer
    private let requested: ServeAddress
    private static let work = DispatchQueue(label: "winnow.serve", attributes: .concurrent)

    public init(app: ServeApp, address: ServeAddress) throws {
        self.app = app
        self.requested = address
        let socketAddress: any SocketAddress
        if ServeAddress.isIPv4(address.host) {
            socketAddress = try sockaddr_in.inet(ip4: address.host, port: address.port)
        } else {
            socketAddress = try sockaddr_in6.inet6(ip6: address.host, port: address.port)
        }
        // FlyingFox's `timeout` bounds a handler, not a read: past it the answer is an empty 500,
        // sent only once the library call ends (it cannot be cancelled). Generous, so that a slow
        // page (a diff of two million-member snapshots, some 30 s) still gets its answer.
        let config = HTTPServer.Configuration(address: socketAddress, timeout: ReviewServer.handlerTimeout, logger: .disabled)
        server = HTTPServer(config: config, handler: Adapter(app: app))
    }

    /// Seconds a request's handler may run before FlyingFox answers 500 instead.
    public static let handlerTimeout: TimeInterval = 300

    /// Listens until `stop`; throws when the address cannot be bound (a `WinnowError` that says
    /// what to do), or a cancellation when stopped.
    public func run() async throws {
        do {
            try await server.run()
        } catch SocketError.failed(let type, _, let message) {
            throw WinnowError.invalidArgument(
                "cannot listen on \(requested.host):\(requested.port): \(type.lowercased()) failed: \(message); is another server on that port? Give another --port (0 picks a free one)"
            )
        }
    }

    /// Waits until the socket listens, and gives the port it got (the chosen one for port 0).
    public func waitUntilListening() async throws -> UInt16 {
        try await server.waitUntilListening(timeout: 10)
        switch await server.listeningAddress {
        case .ip4(_, let port)?, .ip6(_, let port)?: return port
        default: return requested.port
        }
    }

    /// Stops listening, letting requests in flight finish for up to `timeout` seconds.
    public func stop(timeout: TimeInterval = 3) async {
        await server.stop(timeout: timeout)
    }

    /// The URL to print: the host as a browser writes it, the port, the sign-in token (a `+`
    /// in it as `%2B`: the query is decoded as a form, where `+` is a space).
    public static func url(host: String, port: UInt16, token: String) -> String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "http://\(shown):\(port)/?token=\(token.replacingOccurrences(of: "+", with: "%2B"))"
    }

    /// Turns FlyingFox's requests into `ServeRequest`s and back.
    struct Adapter: HTTPHandler {
        let app: ServeApp

        func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
            if let count = request.bodySequence.count, count > ServeApp.maxBodyBytes {
                return HTTPResponse(statusCode: HTTPStatusCode(413, phrase: "Content Too Large"))
            }
            var body = Data()
            for try await chunk in request.bodySequence {
                body.append(chunk)
                if body.count > ServeApp.maxBodyBytes { return HTTPResponse(statusCode: HTTPStatusCode(413, phrase: "Content Too Large")) }
            }
            var headers: [String: String] = [:]
            for (header, value) in request.headers { headers[header.rawValue.lowercased()] = value }
            // Decoded as a form is (`+` is a space): a GET form's fields arrive so.
            let query = ServeRequest.formFields(request.target.query(percentEncoded: true))
            let serveRequest = ServeRequest(method: request.method.rawValue, path: request.target.path(percentEncoded: true), query: query, headers: headers, body: body)
            let app = self.app
            let response = await withCheckedContinuation { continuation in
                ReviewServer.work.async { continuation.resume(returning: app.handle(serveRequest)) }
            }
            var out = HTTPHeaders()
            for (name, value) in response.headers { out[HTTPHeader(name)] = value }
            return HTTPResponse(statusCode: HTTPStatusCode(response.status, phrase: ReviewServer.phrase(response.status)), headers: out, body: response.body)
        }
    }

    static func phrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 303: return "See Other"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 413: return "Content Too Large"
        case 503: return "Service Unavailable"
        default: return "Internal Server Error"
        }
    }
}

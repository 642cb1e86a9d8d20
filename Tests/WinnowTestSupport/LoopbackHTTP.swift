import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client for the tests of `winnow serve`: one request per connection to
/// 127.0.0.1, no redirects followed, no cookies kept, so every header the server sends can
/// be looked at. Bounded: a 60 s receive timeout (generous: a loaded test run can keep the
/// server's tasks waiting for a thread), and it never retries.
public enum LoopbackHTTP {
    public struct Response: Sendable {
        public var status: Int
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }
        /// `name=value` of the Set-Cookie header, without its attributes.
        public var cookie: String? { headers["set-cookie"].flatMap { $0.split(separator: ";").first.map(String.init) } }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sends one request to 127.0.0.1:`port` and reads the whole response.
    public static func send(
        port: UInt16, method: String = "GET", path: String, headers: [String: String] = [:], body: Data = Data()
    ) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to port \(port): \(String(cString: strerror(errno)))") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let lengthGiven = headers.keys.contains { $0.lowercased() == "content-length" }
        if !lengthGiven && (!body.isEmpty || method == "POST") { head += "Content-Length: \(body.count)\r\n" }
        let request = Data((head + "\r\n").utf8) + body
        try request.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { throw Failure(description: "write: \(String(cString: strerror(errno)))") }
                offset += n
            }
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { throw Failure(description: "read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            received.append(contentsOf: buffer[0..<n])
            if let response = parse(received), response.body.count >= expectedLength(response) { return response }
        }
        guard let response = parse(received) else { throw Failure(description: "no HTTP response in \(received.count) bytes") }
        return response
    }

    /// A form post (`application/x-www-form-urlencoded`).
    public static func postForm(port: UInt16, path: String, fields: [(String, String)], headers: [String: String] = [:]) throws -> Response {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        var all = headers
        all["Content-Type"] = "application/x-www-form-urlencoded"
        return try send(port: port, method: "POST", path: path, headers: all, body: Data(body.utf8))
    }

    private static func expectedLength(_ response: Response) -> Int {
        Int(response.headers["content-length"] ?? "") ?? Int.max
    }

    private static func parse(_ data: Data) -> Response? {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[data.startIndex..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: Data(data[end.upperBound...]))
    }
}

import Foundation

/// A JSON value kept as read, so fields Winnow does not interpret (a chat message's
/// `tool_calls`, `name`, `weight`, …) are written back as they came. Numbers keep their
/// integer or floating form; objects are written with sorted keys (the canonical form).
public indirect enum JSONValue: Equatable, Hashable, Sendable {
    case null
    case bool(Bool)
    /// A number as JSON text: integers as written, others in Swift's shortest round-trip form.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Converts what `JSONSerialization` returns.
    public init(_ any: Any) {
        switch any {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let n as NSNumber:
            if RecordBuilder.isBoolean(n) {
                self = .bool(n.boolValue)
            } else if "dfe".contains(String(cString: n.objCType)) {
                let d = n.doubleValue
                self = .number(d.isFinite ? "\(d)" : "null")
            } else {
                self = .number(n.stringValue)
            }
        case let a as [Any]: self = .array(a.map(JSONValue.init))
        case let o as [String: Any]: self = .object(o.mapValues(JSONValue.init))
        default: self = .string("\(any)")
        }
    }

    /// The value `text` holds (JSON the store keeps as text, such as a flag's details, given
    /// out as JSON rather than as a string holding JSON); text that is not JSON stays a string.
    public init(parsing text: String) {
        if let any = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) {
            self.init(any)
        } else {
            self = .string(text)
        }
    }

    /// Canonical JSON text: no spaces, object keys sorted by their UTF-8 bytes.
    public var json: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): out += JSONText.quote(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, key) in JSONValue.sortedKeys(fields.keys).enumerated() {
                if i > 0 { out += "," }
                out += JSONText.quote(key) + ":"
                fields[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    /// Keys in UTF-8 byte order (stable across platforms and locales).
    static func sortedKeys<S: Sequence>(_ keys: S) -> [String] where S.Element == String {
        keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .number("\(i)")
        } else if let d = try? c.decode(Double.self) {
            self = .number("\(d)")
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if let i = Int64(n) { try c.encode(i) } else { try c.encode(Double(n) ?? 0) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

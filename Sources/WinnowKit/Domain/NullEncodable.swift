/// An optional that encodes as JSON `null` when absent, so documented fields are always
/// present in `--json` output (synthesized Codable would leave the key out).
@propertyWrapper
public struct NullEncodable<T: Codable & Sendable>: Codable, Sendable {
    public var wrappedValue: T?

    public init(wrappedValue: T?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = wrappedValue { try container.encode(value) } else { try container.encodeNil() }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(T.self)
    }
}

extension NullEncodable: Equatable where T: Equatable {}

import Foundation

/// What a user-given name names; each kind follows the same rule (`Names.valid`).
public enum NameKind: String, Sendable {
    case queue, snapshot, scheme = "split scheme", reviewer
}

/// The one rule for the names of queues, snapshots, split schemes and reviewers.
public enum Names {
    /// The longest name, in characters.
    public static let maxLength = 64

    /// `raw` as stored: trimmed of surrounding blanks and in Unicode NFC. Refused when the
    /// result is empty, longer than `maxLength`, or holds a control character or `/`
    /// (snapshots: also `:`, which `snapshot:NAME` references use). Format characters (bidi
    /// overrides, zero-width spaces) count as control characters, except the joiners U+200C/U+200D.
    public static func valid(_ raw: String, _ kind: NameKind) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
        func refuse(_ why: String) -> WinnowError {
            .invalidArgument(
                "\(kind.rawValue) name \(JSONText.quote(raw)) \(why); a name is 1 to \(maxLength) characters, without control characters or '/'\(kind == .snapshot ? " or ':'" : "") (for example \(example(kind)))"
            )
        }
        if name.isEmpty { throw refuse("is empty") }
        if name.count > maxLength { throw refuse("is \(name.count) characters long") }
        if name.unicodeScalars.contains(where: {
            $0.properties.generalCategory == .control
                || ($0.properties.generalCategory == .format && $0.value != 0x200C && $0.value != 0x200D)
        }) {
            throw refuse("holds a control character")
        }
        if name.contains("/") { throw refuse("holds '/'") }
        if kind == .snapshot && name.contains(":") { throw refuse("holds ':'") }
        return name
    }

    private static func example(_ kind: NameKind) -> String {
        switch kind {
        case .queue: return "noisy-labels"
        case .snapshot: return "v1"
        case .scheme: return "default"
        case .reviewer: return "alice"
        }
    }
}

import Foundation

/// A role an input field can play (SPEC section 3), as written in `--map ROLE=FIELD`.
public enum FieldRole: Hashable, Sendable, CustomStringConvertible {
    case id, text, textA, textB, label, score, instruction, input, output, messages
    case scene(String)
    case meta(String)

    /// Parses `id`, `text_a`, `scene.domain`, `meta.source`, ….
    public init?(_ name: String) {
        switch name {
        case "id": self = .id
        case "text": self = .text
        case "text_a": self = .textA
        case "text_b": self = .textB
        case "label": self = .label
        case "score": self = .score
        case "instruction": self = .instruction
        case "input": self = .input
        case "output": self = .output
        case "messages": self = .messages
        default:
            if name.hasPrefix("scene."), name.count > 6 {
                self = .scene(String(name.dropFirst(6)))
            } else if name.hasPrefix("meta."), name.count > 5 {
                self = .meta(String(name.dropFirst(5)))
            } else {
                return nil
            }
        }
    }

    public var description: String {
        switch self {
        case .id: return "id"
        case .text: return "text"
        case .textA: return "text_a"
        case .textB: return "text_b"
        case .label: return "label"
        case .score: return "score"
        case .instruction: return "instruction"
        case .input: return "input"
        case .output: return "output"
        case .messages: return "messages"
        case .scene(let d): return "scene.\(d)"
        case .meta(let k): return "meta.\(k)"
        }
    }

    static let allNames = "id, text, text_a, text_b, label, score, instruction, input, output, messages, scene.DIM, meta.KEY"
}

/// Which input field plays which role for one file: the user's `--map` first, then the
/// common names of SPEC section 3, resolved once per file from the field names of its
/// first records (see `MappingLookahead`).
public struct FieldMapping: Sendable {
    public var kind: SampleKind
    public var id: String?
    public var text: String?
    public var textA: String?
    public var textB: String?
    public var label: String?
    public var score: String?
    public var instruction: String?
    public var input: String?
    public var output: String?
    public var messages: String?
    /// Dimension → field.
    public var scenes: [(String, String)]
    /// Metadata key → field.
    public var meta: [(String, String)]

    /// Parses `--map` arguments (`ROLE=FIELD`).
    public static func parseOverrides(_ items: [String]) throws -> [FieldRole: String] {
        var result: [FieldRole: String] = [:]
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw WinnowError.invalidArgument("--map \(item): expected ROLE=FIELD, for example --map text=body or --map scene.domain=genre")
            }
            let roleName = String(item[..<eq])
            guard let role = FieldRole(roleName) else {
                throw WinnowError.invalidArgument("--map \(item): unknown role '\(roleName)'; roles are \(FieldRole.allNames)")
            }
            let field = String(item[item.index(after: eq)...])
            if field.isEmpty && role != .id && role != .label {
                throw WinnowError.invalidArgument("--map \(item): name the field after '=' (only id= and label= may be left empty, to ignore those fields)")
            }
            result[role] = field
        }
        return result
    }

    /// Resolves the mapping for a file whose records have `fields`, honouring a forced kind
    /// and the user's overrides. Throws a message naming the fields when no kind fits.
    public static func resolve(fields: [String], kind forcedKind: SampleKind?, overrides: [FieldRole: String]) throws -> FieldMapping {
        let candidates = FieldCandidates(fields: fields, overrides: overrides)
        var mapping = FieldMapping(kind: .text, scenes: [], meta: [])
        mapping.assignCompanions(candidates)
        mapping.kind = try forcedKind ?? candidates.inferredKind()
        try mapping.assignContent(candidates)
        return mapping
    }

    /// The fields that travel with any kind: id, label, and the `--map` scenes and meta.
    private mutating func assignCompanions(_ candidates: FieldCandidates) {
        id = candidates.pick(.id, FieldMapping.idNames).flatMap { $0.isEmpty ? nil : $0 }
        label = candidates.pick(.label, FieldMapping.labelNames).flatMap { $0.isEmpty ? nil : $0 }
        for (role, field) in candidates.overrides {
            if case .scene(let dim) = role { scenes.append((dim, field)) }
            if case .meta(let key) = role { meta.append((key, field)) }
        }
        scenes.sort { $0.0 < $1.0 }
        meta.sort { $0.0 < $1.0 }
    }

    /// The content fields of `kind`, or an error saying which fields that kind needs.
    private mutating func assignContent(_ candidates: FieldCandidates) throws {
        let fields = candidates.fields.joined(separator: ", ")
        switch kind {
        case .text:
            guard let field = candidates.text else {
                throw WinnowError.invalidArgument("--kind text needs a text field: none of text, sentence, content is present in [\(fields)]; pass --map text=FIELD")
            }
            text = field
        case .pair:
            guard let (a, b) = candidates.pair else {
                throw WinnowError.invalidArgument(
                    "--kind pair needs two text fields (sentence1/sentence2, premise/hypothesis, query/passage, anchor/positive) in [\(fields)]; pass --map text_a=FIELD --map text_b=FIELD"
                )
            }
            textA = a
            textB = b
            score = candidates.pick(.score, ["score"])
        case .instruction:
            guard let (i, input, o) = candidates.instruction else {
                throw WinnowError.invalidArgument(
                    "--kind instruction needs instruction and output fields (instruction/output, prompt/completion, prompt/response) in [\(fields)]; pass --map instruction=FIELD --map output=FIELD"
                )
            }
            instruction = i
            self.input = input
            output = o
        case .chat:
            guard let field = candidates.chat else {
                throw WinnowError.invalidArgument("--kind chat needs a messages or conversations field in [\(fields)]; pass --map messages=FIELD")
            }
            messages = field
        }
    }

    /// The mapping as a JSON object (recorded with the source).
    var json: String {
        var parts: [String] = ["\"kind\":\(JSONText.quote(kind.rawValue))"]
        let roles: [(String, String?)] = [
            ("id", id), ("text", text), ("text_a", textA), ("text_b", textB), ("label", label),
            ("score", score), ("instruction", instruction), ("input", input),
            ("output", output), ("messages", messages),
        ]
        for (role, field) in roles { if let field { parts.append("\(JSONText.quote(role)):\(JSONText.quote(field))") } }
        for (dim, field) in scenes { parts.append("\(JSONText.quote("scene." + dim)):\(JSONText.quote(field))") }
        for (key, field) in meta { parts.append("\(JSONText.quote("meta." + key)):\(JSONText.quote(field))") }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

/// A file's field names and the user's `--map`, and which fields could play each content role:
/// an override first, else the first common name (SPEC section 3) present and not claimed by
/// an override for another role.
private struct FieldCandidates {
    let fields: [String]
    let overrides: [FieldRole: String]
    let present: Set<String>
    let claimed: Set<String>

    init(fields: [String], overrides: [FieldRole: String]) {
        self.fields = fields
        self.overrides = overrides
        present = Set(fields)
        claimed = Set(overrides.values)
    }

    func pick(_ role: FieldRole, _ names: [String]) -> String? {
        if let field = overrides[role] { return field }
        return names.first { present.contains($0) && !claimed.contains($0) }
    }

    func pickPair(_ pairs: [(String, String)]) -> (String, String)? {
        pairs.first { present.contains($0.0) && present.contains($0.1) && !claimed.contains($0.0) && !claimed.contains($0.1) }
    }

    var chat: String? { pick(.messages, ["messages", "conversations"]) }

    var instruction: (String, String?, String)? {
        if let i = overrides[.instruction], let o = overrides[.output] { return (i, overrides[.input], o) }
        if let p = pickPair([("instruction", "output")]) { return (p.0, pick(.input, ["input"]), p.1) }
        if let p = pickPair([("prompt", "completion"), ("prompt", "response")]) { return (p.0, overrides[.input], p.1) }
        return nil
    }

    var pair: (String, String)? {
        if let a = overrides[.textA], let b = overrides[.textB] { return (a, b) }
        return pickPair([
            ("text_a", "text_b"), ("sentence1", "sentence2"), ("premise", "hypothesis"),
            ("query", "passage"), ("anchor", "positive"),
        ])
    }

    var text: String? { pick(.text, ["text", "sentence", "content"]) }

    /// The kind the fields allow, in order of specificity: chat, instruction, pair, text (an
    /// explicit `--map text=` wins over the more specific kinds).
    func inferredKind() throws -> SampleKind {
        let textForced = overrides[.text] != nil
        if overrides[.messages] != nil || (chat != nil && !textForced) { return .chat }
        if instruction != nil && !textForced { return .instruction }
        if pair != nil && !textForced { return .pair }
        if text != nil { return .text }
        throw WinnowError.invalidArgument(
            "cannot tell the sample kind from the fields [\(fields.joined(separator: ", "))]; name the content field with --map (for example --map text=body, or --map text_a=q --map text_b=a) or pass --kind"
        )
    }
}

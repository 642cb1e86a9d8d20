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
            if name.hasPrefix("scene."), name.count > 6 { self = .scene(String(name.dropFirst(6))) }
            else if name.hasPrefix("meta."), name.count > 5 { self = .meta(String(name.dropFirst(5))) }
            else { return nil }
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
        let present = Set(fields)
        let claimed = Set(overrides.values)
        func pick(_ role: FieldRole, _ candidates: [String]) -> String? {
            if let field = overrides[role] { return field }
            return candidates.first { present.contains($0) && !claimed.contains($0) }
        }
        func pickPair(_ pairs: [(String, String)]) -> (String, String)? {
            pairs.first { present.contains($0.0) && present.contains($0.1) && !claimed.contains($0.0) && !claimed.contains($0.1) }
        }

        var mapping = FieldMapping(kind: .text, scenes: [], meta: [])
        mapping.id = pick(.id, idNames).flatMap { $0.isEmpty ? nil : $0 }
        mapping.label = pick(.label, labelNames).flatMap { $0.isEmpty ? nil : $0 }
        for (role, field) in overrides {
            if case .scene(let dim) = role { mapping.scenes.append((dim, field)) }
            if case .meta(let key) = role { mapping.meta.append((key, field)) }
        }
        mapping.scenes.sort { $0.0 < $1.0 }
        mapping.meta.sort { $0.0 < $1.0 }

        // Which kinds the fields allow, in order of specificity.
        let chatField = pick(.messages, ["messages", "conversations"])
        let instructionFields: (String, String?, String)? = {
            if let i = overrides[.instruction], let o = overrides[.output] { return (i, overrides[.input], o) }
            if let p = pickPair([("instruction", "output")]) { return (p.0, pick(.input, ["input"]), p.1) }
            if let p = pickPair([("prompt", "completion"), ("prompt", "response")]) { return (p.0, overrides[.input], p.1) }
            return nil
        }()
        let pairFields: (String, String)? = {
            if let a = overrides[.textA], let b = overrides[.textB] { return (a, b) }
            return pickPair([("text_a", "text_b"), ("sentence1", "sentence2"), ("premise", "hypothesis"),
                             ("query", "passage"), ("anchor", "positive")])
        }()
        let textField = pick(.text, ["text", "sentence", "content"])

        let kind: SampleKind
        if let forced = forcedKind {
            kind = forced
        } else if overrides[.messages] != nil || (chatField != nil && overrides[.text] == nil) {
            kind = .chat
        } else if instructionFields != nil && overrides[.text] == nil {
            kind = .instruction
        } else if pairFields != nil && overrides[.text] == nil {
            kind = .pair
        } else if textField != nil {
            kind = .text
        } else {
            throw WinnowError.invalidArgument(
                "cannot tell the sample kind from the fields [\(fields.joined(separator: ", "))]; name the content field with --map (for example --map text=body, or --map text_a=q --map text_b=a) or pass --kind")
        }
        mapping.kind = kind
        switch kind {
        case .text:
            guard let field = textField else {
                throw WinnowError.invalidArgument("--kind text needs a text field: none of text, sentence, content is present in [\(fields.joined(separator: ", "))]; pass --map text=FIELD")
            }
            mapping.text = field
        case .pair:
            guard let (a, b) = pairFields else {
                throw WinnowError.invalidArgument("--kind pair needs two text fields (sentence1/sentence2, premise/hypothesis, query/passage, anchor/positive) in [\(fields.joined(separator: ", "))]; pass --map text_a=FIELD --map text_b=FIELD")
            }
            mapping.textA = a
            mapping.textB = b
            mapping.score = pick(.score, ["score"])
        case .instruction:
            guard let (i, input, o) = instructionFields else {
                throw WinnowError.invalidArgument("--kind instruction needs instruction and output fields (instruction/output, prompt/completion, prompt/response) in [\(fields.joined(separator: ", "))]; pass --map instruction=FIELD --map output=FIELD")
            }
            mapping.instruction = i
            mapping.input = input
            mapping.output = o
        case .chat:
            guard let field = chatField else {
                throw WinnowError.invalidArgument("--kind chat needs a messages or conversations field in [\(fields.joined(separator: ", "))]; pass --map messages=FIELD")
            }
            mapping.messages = field
        }
        return mapping
    }

    /// The mapping as a JSON object (recorded with the source).
    var json: String {
        var parts: [String] = ["\"kind\":\(JSONText.quote(kind.rawValue))"]
        let roles: [(String, String?)] = [("id", id), ("text", text), ("text_a", textA), ("text_b", textB), ("label", label),
                                          ("score", score), ("instruction", instruction), ("input", input),
                                          ("output", output), ("messages", messages)]
        for (role, field) in roles { if let field { parts.append("\(JSONText.quote(role)):\(JSONText.quote(field))") } }
        for (dim, field) in scenes { parts.append("\(JSONText.quote("scene." + dim)):\(JSONText.quote(field))") }
        for (key, field) in meta { parts.append("\(JSONText.quote("meta." + key)):\(JSONText.quote(field))") }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

import Foundation

/// A record ready to be stored: its content, hash and the fields that travel with it.
struct PreparedRecord: Sendable {
    var line: Int
    var recordID: String?
    var content: SampleContent
    var hash: [UInt8]
    var label: String?
    var score: Double?
    var scenes: [(String, String)]
    var meta: String?
    /// The record's input text, kept only when a rejects file may need it.
    var raw: String? = nil
}

/// Why a record could not be used; becomes `FILE:LINE: reason`.
struct RecordError: Error {
    var reason: String
}

/// Turns one parsed input record (field name → JSON value) into a `PreparedRecord`
/// according to the file's field mapping.
struct RecordBuilder {
    let mapping: FieldMapping

    func build(_ fields: [String: Any], line: Int) throws(RecordError) -> PreparedRecord {
        let content: SampleContent
        switch mapping.kind {
        case .text:
            content = .text(try requiredString(fields, mapping.text!))
        case .pair:
            content = .pair(try requiredString(fields, mapping.textA!), try requiredString(fields, mapping.textB!))
        case .instruction:
            var input = ""
            if let field = mapping.input { input = try optionalString(fields, field) ?? "" }
            content = .instruction(
                instruction: try requiredString(fields, mapping.instruction!),
                input: input,
                output: try requiredString(fields, mapping.output!))
        case .chat:
            content = .chat(try messages(fields, mapping.messages!))
        }
        var record = PreparedRecord(
            line: line, recordID: nil, content: content, hash: ContentHash.of(content),
            label: nil, score: nil, scenes: [], meta: nil)
        if let field = mapping.id {
            record.recordID = try scalarString(fields, field)
            if record.recordID?.isEmpty == true { record.recordID = nil }
        }
        if let field = mapping.label { record.label = try label(fields, field) }
        if let field = mapping.score { record.score = try number(fields, field) }
        for (dimension, field) in mapping.scenes {
            if let category = try scalarString(fields, field), !category.isEmpty {
                record.scenes.append((dimension, category))
            }
        }
        if !mapping.meta.isEmpty {
            var meta: [String: Any] = [:]
            for (key, field) in mapping.meta {
                if let value = fields[field], !(value is NSNull) { meta[key] = value }
            }
            if !meta.isEmpty,
                let data = try? JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys, .withoutEscapingSlashes])
            {
                record.meta = String(decoding: data, as: UTF8.self)
            }
        }
        return record
    }

    private func requiredString(_ fields: [String: Any], _ name: String) throws(RecordError) -> String {
        guard let value = try optionalString(fields, name) else {
            throw RecordError(reason: "missing required field '\(name)' for a \(mapping.kind.rawValue) sample")
        }
        return value
    }

    private func optionalString(_ fields: [String: Any], _ name: String) throws(RecordError) -> String? {
        guard let value = fields[name], !(value is NSNull) else { return nil }
        guard let string = value as? String else {
            throw RecordError(reason: "field '\(name)' is \(Self.typeName(value)), expected a string")
        }
        return string
    }

    /// A string, number or boolean rendered as text (ids, labels, scene categories).
    private func scalarString(_ fields: [String: Any], _ name: String) throws(RecordError) -> String? {
        guard let value = fields[name], !(value is NSNull) else { return nil }
        if let string = value as? String { return string }
        if let number = value as? NSNumber {
            if Self.isBoolean(number) { return number.boolValue ? "true" : "false" }
            return Self.numberText(number)
        }
        throw RecordError(reason: "field '\(name)' is \(Self.typeName(value)), expected a string or a number")
    }

    /// A JSON number as text, by value: whole numbers without a fraction (1, 1.0 and 1e0 are
    /// all "1"), others in their shortest form ("0.5"). Strings are never reinterpreted.
    static func numberText(_ number: NSNumber) -> String {
        let type = String(cString: number.objCType)
        guard type == "d" || type == "f" else { return number.stringValue }
        let value = number.doubleValue
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return String(value)
    }

    private func label(_ fields: [String: Any], _ name: String) throws(RecordError) -> String? {
        if let list = fields[name] as? [Any] {
            if list.isEmpty { return nil }
            guard list.count == 1 else {
                throw RecordError(
                    reason: "field '\(name)' holds \(list.count) labels; Winnow keeps one label per sample — split the record or map another field with --map label=FIELD")
            }
            return try scalarString([name: list[0]], name)
        }
        let value = try scalarString(fields, name)
        return value?.isEmpty == true ? nil : value
    }

    private func number(_ fields: [String: Any], _ name: String) throws(RecordError) -> Double? {
        guard let value = fields[name], !(value is NSNull) else { return nil }
        if let number = value as? NSNumber, !Self.isBoolean(number) { return number.doubleValue }
        if let string = value as? String {
            if string.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
            if let number = Double(string.trimmingCharacters(in: .whitespaces)), number.isFinite { return number }
            throw RecordError(reason: "field '\(name)' is '\(string.prefix(40))', expected a number")
        }
        throw RecordError(reason: "field '\(name)' is \(Self.typeName(value)), expected a number")
    }

    private func messages(_ fields: [String: Any], _ name: String) throws(RecordError) -> [ChatMessage] {
        guard let value = fields[name], !(value is NSNull) else {
            throw RecordError(reason: "missing required field '\(name)' for a chat sample")
        }
        guard let list = value as? [Any] else {
            throw RecordError(reason: "field '\(name)' is \(Self.typeName(value)), expected an array of messages")
        }
        var result: [ChatMessage] = []
        for (i, item) in list.enumerated() {
            guard let message = item as? [String: Any] else {
                throw RecordError(reason: "message \(i + 1) of '\(name)' is \(Self.typeName(item)), expected an object with role and content (or from and value)")
            }
            do {
                result.append(
                    try ChatMessage.parse(
                        message, roleKeys: ["role", "from"], contentKeys: ["content", "value"],
                        mapRole: Self.role))
            } catch {
                throw RecordError(reason: "message \(i + 1) of '\(name)' \(error.reason)")
            }
        }
        if result.isEmpty {
            throw RecordError(reason: "field '\(name)' is an empty list; a chat sample needs at least one message")
        }
        return result
    }

    /// ShareGPT speaker names mapped to OpenAI roles; other roles are kept as given.
    static func role(_ raw: String) -> String {
        switch raw.lowercased() {
        case "human", "user": return "user"
        case "gpt", "assistant", "chatgpt", "bard", "bing", "model": return "assistant"
        case "system": return "system"
        case "tool", "function", "observation": return "tool"
        default: return raw
        }
    }

    static func isBoolean(_ number: NSNumber) -> Bool {
        String(describing: type(of: number)).contains("Boolean")
    }

    static func typeName(_ value: Any) -> String {
        switch value {
        case is String: return "a string"
        case let n as NSNumber: return isBoolean(n) ? "a boolean" : "a number"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "\(type(of: value))"
        }
    }
}

import Foundation

extension ReviewItem {
    /// What an edit starts from, in the form an `edit` decision takes back: a text sample's
    /// text, else a JSON object of the kind's fields (a chat's `messages` as an array).
    public func editorText() throws -> String {
        if kind == SampleKind.text.rawValue { return content["text"] ?? "" }
        var fields: [String: Any] = content.filter { $0.key != "messages" }
        if let messages = content["messages"] {
            fields["messages"] = (try? JSONSerialization.jsonObject(with: Data(messages.utf8))) ?? messages
        }
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation
import Yams

/// The one way Winnow reads its YAML (or JSON) files — taxonomy, scene rules, detector
/// configuration — so each reports a bad file alike: `FILE: not valid YAML or JSON: …` for the
/// syntax, `FILE:LINE: …` for a node at fault.
enum YAMLDocument {
    /// The root node of `text`, nil when the document is empty.
    static func root(_ text: String, file: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw WinnowError.invalidArgument("\(file): not valid YAML or JSON: \(describe(error))")
        }
    }

    /// The root node of `text`; `empty` is the message for an empty document.
    static func root(_ text: String, file: String, empty: String) throws -> Node {
        guard let node = try root(text, file: file) else { throw WinnowError.invalidArgument("\(file): \(empty)") }
        return node
    }

    /// An error about `node` of `file`, with its line when the node has one.
    static func error(_ file: String, at node: Node?, _ message: String) -> WinnowError {
        .invalidArgument("\(file)\(node?.mark.map { ":\($0.line)" } ?? ""): \(message)")
    }

    /// A parse error as "PROBLEM at line L, column C".
    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "\(problem) at line \(mark.line), column \(mark.column)"
        default:
            return "\(error)"
        }
    }
}

import ArgumentParser
import WinnowKit

// Closed option values: the parser takes only these words, lists them in --help
// ("values: …") and names them when another word is given (exit 64). Backed by WinnowKit's
// enums where it has one; the few sets only the command line has are defined here.

extension SampleKind: ExpressibleByArgument {}
extension SampleStatus: ExpressibleByArgument {}
extension FlagStatus: ExpressibleByArgument {}
extension QueuePriority: ExpressibleByArgument {}
extension DecisionAction: ExpressibleByArgument {}
extension InputFormat: ExpressibleByArgument {}
extension OnError: ExpressibleByArgument {}
extension QueueItemState: ExpressibleByArgument {}
extension SampleOrigin: ExpressibleByArgument {}

/// `review bulk --action`: the decisions one verdict over many items can be.
enum BulkAction: String, CaseIterable, ExpressibleByArgument {
    case keep, drop, relabel

    var decision: DecisionAction { DecisionAction(rawValue: rawValue) ?? .keep }
}

extension SplitGrouping: ExpressibleByArgument {}

/// `export --stratify`: `label` or `scene.DIM` (a dimension of the taxonomy, checked by the export).
struct Stratification: ExpressibleByArgument {
    var rawValue: String

    init?(argument: String) {
        guard argument == "label" || argument.hasPrefix("scene.") else { return nil }
        rawValue = argument
    }

    static var allValueStrings: [String] { ["label", "scene.DIM"] }
}

/// `export --resample`: `labels` or `scene.DIM` (a dimension, checked by the export).
struct ResampleSubject: ExpressibleByArgument {
    var subject: DistributionSubject

    init?(argument: String) {
        guard let subject = try? DistributionSubject(argument) else { return nil }
        self.subject = subject
    }

    static var allValueStrings: [String] { ["labels", "scene.DIM"] }
}

import Foundation

/// One active sample as the detectors see it.
public struct DetectSample: Sendable {
    public var sampleID: Int64
    public var contentID: Int64
    public var uid: String
    public var label: String?
    public var content: SampleContent
    /// All the text of the sample (see `SampleContent.plainText`).
    public var text: String

    public init(sampleID: Int64, contentID: Int64, uid: String, label: String?, content: SampleContent) {
        self.sampleID = sampleID
        self.contentID = contentID
        self.uid = uid
        self.label = label
        self.content = content
        self.text = content.plainText
    }
}

/// A detector's verdict on one sample: it looks like noise, with how much and why.
public struct DetectorHit: Sendable, Equatable {
    public var sampleID: Int64
    public var contentID: Int64
    /// Higher is more suspicious.
    public var score: Double
    /// A sentence a person can read.
    public var reason: String
    /// A JSON object with the figures behind the reason.
    public var details: String

    public init(sampleID: Int64, contentID: Int64, score: Double, reason: String, details: String = "{}") {
        self.sampleID = sampleID
        self.contentID = contentID
        self.score = score
        self.reason = reason
        self.details = details
    }
}

/// A noise detector fed one pass over the active samples. Pure: no SQLite.
public protocol Detector: AnyObject {
    /// The name flags carry (`near-duplicate`, …).
    var name: String { get }
    /// The parameters it ran with, as a JSON object (recorded with the run).
    var parametersJSON: String { get }
    /// Sees one sample; may flag it at once.
    func observe(_ sample: DetectSample) -> [DetectorHit]
    /// After the last sample: flags that need the whole corpus.
    func finish() -> [DetectorHit]
    /// `finish()` for a detector with a long step of its own after the pass (label-noise's
    /// training), which tells `progress` how far it is.
    func finish(progress: @escaping DetectProgressHandler) -> [DetectorHit]
    /// What the user should know about the run, after `finish` (samples left out, …).
    var warnings: [String] { get }
}

extension Detector {
    public func finish() -> [DetectorHit] { [] }
    public func finish(progress: @escaping DetectProgressHandler) -> [DetectorHit] { finish() }
    public var warnings: [String] { [] }
}

/// A detector that works in feature space: after the pass it is given one model's vectors of
/// the active samples (`Store.sampleVectors`), read in the pass's transaction.
public protocol VectorDetector: Detector {
    /// Whether it needs vectors in this run (label-noise only with `features=vectors`).
    var wantsVectors: Bool { get }
    /// The vectors, before `finish`.
    func use(_ vectors: SampleVectors)
}

/// How far a long step is: (units done, units in all, the unit's name), called now and then,
/// never from two threads at once.
public typealias DetectProgressHandler = @Sendable (_ done: Int, _ total: Int, _ unit: String) -> Void

/// The built-in detectors, in the order `winnow detect` runs them.
public enum DetectorName: String, CaseIterable, Sendable {
    case empty
    case tooShort = "too-short"
    case tooLong = "too-long"
    case lengthOutlier = "length-outlier"
    case exactDuplicate = "exact-duplicate"
    case nearDuplicate = "near-duplicate"
    case semanticDuplicate = "semantic-duplicate"
    case labelConflict = "label-conflict"
    case boilerplate
    case repetition
    case encoding
    case pii
    case labelNoise = "label-noise"
    case outlier

    /// Needs feature vectors: `winnow detect` with no names runs it only when the store holds
    /// vectors (`winnow embed` or `vectors import`).
    public var needsVectors: Bool { self == .semanticDuplicate || self == .outlier }

    /// A detector of a property that may be exactly what a class looks like, or a policy
    /// matter (redact, cap, review), rather than of noise: excluding its flags wholesale
    /// reshapes the data (README, "Cleaning").
    public var isInformational: Bool {
        switch self {
        case .pii, .boilerplate, .lengthOutlier, .tooShort, .tooLong, .repetition, .outlier: true
        case .empty, .encoding, .exactDuplicate, .nearDuplicate, .semanticDuplicate, .labelConflict, .labelNoise: false
        }
    }
}

/// JSON object text from key/value pairs whose values are already JSON.
func jsonObject(_ pairs: [(String, String)]) -> String {
    "{" + pairs.map { "\(JSONText.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
}

func jsonNumber(_ x: Double) -> String {
    x.isFinite ? "\(x)" : "null"
}

func jsonArray(_ items: [String]) -> String { "[" + items.map(JSONText.quote).joined(separator: ",") + "]" }

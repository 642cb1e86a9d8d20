import Foundation

/// What to do with malformed records.
public enum OnError: String, CaseIterable, Sendable {
    /// Import nothing of a file that has a malformed record (the default).
    case abort
    /// Import the valid records; write each rejected one with its reason to the rejects file.
    case skip
}

/// How `winnow import` reads its files.
public struct ImportOptions: Sendable {
    public var format: InputFormat?
    public var kind: SampleKind?
    public var map: [FieldRole: String] = [:]
    public var onError: OnError = .abort
    public var rejectsPath: String?
    public var maxRecordBytes: Int = 16 << 20
    /// A `--map` field a file lacks is an error (false: a warning, for a `--map` shared by several files).
    public var strictMap = true
    /// Apply the file's labels, scenes and meta to samples already stored (`--update`).
    public var update = false
    public init() {}
}

/// The outcome of importing one file (SPEC section 11, `import --json`).
public struct ImportResult: Codable, Sendable, Equatable {
    public var path: String
    public var format: String
    @NullEncodable public var kind: String?
    public var read = 0
    public var imported = 0
    public var duplicates = 0
    public var labelConflicts = 0
    public var rejected = 0
    public var seconds = 0.0
    /// `imported`, or `unchanged` when this exact file was imported before.
    public var status = "imported"
    /// Malformed records (first 100), reported in skip mode.
    public var problems: [String]? = nil
    /// Fields the mapping ignored that look like a label or an id.
    public var warnings: [String]? = nil
    /// With `status` unchanged: how to apply other options to this file (`--update`).
    public var note: String? = nil
    /// With `--update`: samples given the file's label, scenes or meta; records not in the store.
    public var updated: Int? = nil
    public var notStored: Int? = nil

    enum CodingKeys: String, CodingKey {
        case path, format, kind, read, imported, duplicates
        case labelConflicts = "label_conflicts"
        case rejected, seconds, status, problems, warnings, note, updated
        case notStored = "not_stored"
    }
}

/// Progress of a running import, for a progress bar.
public struct ImportProgress: Sendable {
    public var path: String
    public var bytesRead: Int
    public var totalBytes: Int
    public var records: Int
    /// Which pass over the file: `checking` (abort mode reads it whole first) or `importing`.
    public var phase: Phase

    public enum Phase: String, Sendable { case checking, importing }
}

import Foundation

/// Failures a user can meet, each with a message that says what went wrong, where, and what to do.
public enum WinnowError: Error, CustomStringConvertible, Equatable {
    /// No store at the path, and the command does not create one.
    case storeMissing(path: String)
    /// The file exists but is not a Winnow store (another SQLite database, or not a database at all).
    case notAWinnowStore(path: String, why: String)
    /// The store was written by a newer Winnow whose migrations this build does not know.
    case storeTooNew(path: String, storeVersion: String, knownVersion: String)
    /// SQLite reports the file damaged.
    case storeDamaged(path: String, detail: String)
    /// The store cannot be opened or written (permissions, read-only media, disk full).
    case storeUnavailable(path: String, detail: String)
    /// An input file cannot be read at all (missing, a directory, empty, binary, unknown format).
    case unreadableInput(path: String, reason: String)
    /// Malformed records stopped an import in `--on-error abort` mode.
    case badRecords(path: String, problems: [RecordProblem], total: Int, outcome: String? = nil)
    /// A command-line value is wrong.
    case invalidArgument(String)
    /// A sample uid that the store does not hold.
    case unknownSample(uid: String)
    /// A name (label, scene dimension or category, source, …) the store does not know; `known`
    /// lists the valid ones, `hint` says where to look.
    case unknownName(kind: String, name: String, known: [String], hint: String)
    /// A snapshot would have no members; nothing was made. `leftOut`: the matches that
    /// `--exclude-flagged` left out (0 when the other filters matched nothing).
    case emptySnapshot(name: String, leftOut: Int)
    /// `winnow sql` was given a statement that writes, or SQL that fails.
    case sqlRefused(String)
    /// A write failed in a way the user can act on (disk full, I/O error).
    case writeFailed(path: String, detail: String)
    /// An import stopped after some of its batches were committed: they stay, and running
    /// the same import again finishes it.
    case importUnfinished(path: String, stored: Int, reason: String)

    public var description: String {
        switch self {
        case .storeMissing(let path):
            return "no Winnow store at \(path): run `winnow init --db \(path)` or `winnow import FILE --db \(path)`, or pass the right --db / WINNOW_DB"
        case .notAWinnowStore(let path, let why):
            return "\(path) is not a Winnow store (\(why)); pass --db with another path, or move that file away"
        case .storeTooNew(let path, let storeVersion, let knownVersion):
            return "\(path) was created by a newer version of Winnow (its schema is at \(storeVersion); this winnow \(Winnow.version) knows up to \(knownVersion)); upgrade winnow to open it — the store was not changed"
        case .storeDamaged(let path, let detail):
            return "\(path) is damaged (\(detail)); restore it from a backup or a copy — winnow did not write to it"
        case .storeUnavailable(let path, let detail):
            return "cannot use the store \(path): \(detail)"
        case .unreadableInput(let path, let reason):
            return "\(path): \(reason)"
        case .badRecords(let path, let problems, let total, let outcome):
            var lines = problems.prefix(100).map { "\(path):\($0.line): \($0.reason)" }
            if total > lines.count { lines.append("… and \(total - lines.count) more bad records") }
            lines.append(outcome ?? "nothing of \(path) was imported (--on-error abort); fix these records, or pass --on-error skip --rejects FILE to import the rest and keep the rejects")
            return lines.joined(separator: "\n")
        case .invalidArgument(let message):
            return message
        case .unknownSample(let uid):
            return "no sample with uid '\(uid)'; list uids with `winnow samples`"
        case .unknownName(let kind, let name, let known, let hint):
            let shown = known.prefix(50).joined(separator: ", ") + (known.count > 50 ? ", … (\(known.count - 50) more)" : "")
            return "unknown \(kind) '\(name)'; \(known.isEmpty ? "the store has none yet" : "known: \(shown)") (\(hint))"
        case .emptySnapshot(let name, let leftOut):
            if leftOut > 0 {
                return "snapshot \(name) would have no members: --exclude-flagged left out all \(leftOut) samples its other filters matched; nothing was made"
            }
            return "snapshot \(name) would have no members: no active sample matches its selection; nothing was made"
        case .sqlRefused(let message):
            return message
        case .writeFailed(let path, let detail):
            return "writing \(path) failed: \(detail); nothing of the failed write is in the store"
        case .importUnfinished(let path, let stored, let reason):
            return "importing \(path) stopped: \(reason). The batches committed before stay in the store (\(stored) records of the file); the import is unfinished: once the cause is fixed, run the same import again to finish it"
        }
    }

    /// The process exit code: 1 for ordinary errors, distinct codes for the store states scripts must tell apart.
    /// What went wrong, without the advice around it (for messages that give their own).
    public var detail: String {
        switch self {
        case .writeFailed(_, let detail), .storeUnavailable(_, let detail), .storeDamaged(_, let detail): return detail
        case .unreadableInput(_, let reason): return reason
        default: return description
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .storeTooNew: return 3
        case .storeDamaged: return 4
        default: return 1
        }
    }
}

/// One malformed input record: where it starts and why it was refused.
public struct RecordProblem: Error, Equatable, Sendable {
    public var line: Int
    public var reason: String
    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}

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
    /// A thing the command names is not in the store (a queue, a snapshot, a queue item, a bulk
    /// decision, …); the message says what exists instead or how to find it.
    case notFound(String)
    /// The command would make something whose name or content is already taken.
    case alreadyExists(String)
    /// A reviewer's lease on a queue item expired and the item went on without them; nothing
    /// of the decision was recorded.
    case leaseLost(String)
    /// An item's decisions disagree and it waits for an adjudicator.
    case disagreement(String)
    /// The store stayed locked by another process for longer than the command waits.
    case storeBusy(String)
    /// A column holds a value Winnow never writes (a store edited outside Winnow).
    case unexpectedValue(path: String, detail: String)
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
            return
                "\(path) was created by a newer version of Winnow (its schema is at \(storeVersion); this winnow \(Winnow.version) knows up to \(knownVersion)); upgrade winnow to open it — the store was not changed"
        case .storeDamaged(let path, let detail):
            return "\(path) is damaged (\(detail)); restore it from a backup or a copy — winnow did not write to it"
        case .storeUnavailable(let path, let detail):
            return "cannot use the store \(path): \(detail)"
        case .unreadableInput(let path, let reason):
            return "\(path): \(reason)"
        case .badRecords(let path, let problems, let total, let outcome):
            var lines = problems.prefix(100).map { "\(path):\($0.line): \($0.reason)" }
            if total > lines.count { lines.append("… and \(total - lines.count) more bad records") }
            lines.append(
                outcome ?? "nothing of \(path) was imported (--on-error abort); fix these records, or pass --on-error skip --rejects FILE to import the rest and keep the rejects")
            return lines.joined(separator: "\n")
        case .invalidArgument(let message), .notFound(let message), .alreadyExists(let message),
            .leaseLost(let message), .disagreement(let message), .storeBusy(let message):
            return message
        case .unexpectedValue(let path, let detail):
            return
                "\(path) holds a value Winnow does not write (\(detail)); was it edited outside Winnow? Run `winnow check`, and restore it from a backup if that finds damage — nothing was changed by this command"
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
            return
                "importing \(path) stopped: \(reason). The batches committed before stay in the store (\(stored) records of the file); the import is unfinished: once the cause is fixed, run the same import again to finish it"
        }
    }

    /// What went wrong, without the advice around it (for messages that give their own).
    public var detail: String {
        switch self {
        case .writeFailed(_, let detail), .storeUnavailable(_, let detail), .storeDamaged(_, let detail): return detail
        case .unreadableInput(_, let reason): return reason
        default: return description
        }
    }

    /// A stable word for the kind of failure, for scripts (`--json` errors carry it as `code`).
    public var code: String {
        switch self {
        case .storeMissing: return "store_missing"
        case .notAWinnowStore: return "not_a_store"
        case .storeTooNew: return "store_too_new"
        case .storeDamaged: return "store_damaged"
        case .storeUnavailable: return "store_unavailable"
        case .unreadableInput: return "unreadable_input"
        case .badRecords: return "bad_records"
        case .invalidArgument: return "invalid_argument"
        case .notFound, .unknownSample, .unknownName: return "not_found"
        case .alreadyExists: return "already_exists"
        case .leaseLost: return "lease_lost"
        case .disagreement: return "disagreement"
        case .storeBusy: return "store_busy"
        case .unexpectedValue: return "unexpected_value"
        case .emptySnapshot: return "empty_snapshot"
        case .sqlRefused: return "sql_refused"
        case .writeFailed: return "write_failed"
        case .importUnfinished: return "import_unfinished"
        }
    }

    /// The process exit code: 1 for ordinary errors, distinct codes for the store states scripts must tell apart.
    public var exitCode: Int32 {
        switch self {
        case .storeTooNew: return 3
        case .storeDamaged, .unexpectedValue: return 4
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

import Foundation

/// Resolves a file's field mapping over its first records rather than the first one alone
/// (a first record without `label` must not drop every label), then replays them. While the
/// rest is read it watches for what a mapping would drop without a word: a `--map` field no
/// record has (an error at the end; for CSV/TSV an error at once, against the header), and
/// a label or id field that records carry while the mapping has no label or id.
final class MappingLookahead: RecordReader {
    /// How many records the mapping is resolved over.
    static let window = 1_000

    let mapping: FieldMapping
    private let base: RecordReader
    private let path: String
    private var buffered: [RawItem]
    /// The input text of each buffered record (see `RecordReader.lastRaw`).
    private var bufferedRaw: [String?]
    private var position = 0
    private var last: String?
    /// Whether the last item came from the buffer (its raw text is `last`) or from `base`.
    private var lastFromBuffer = false

    var lastRaw: String? { lastFromBuffer ? last : base.lastRaw }
    /// Every field name of the records looked at (or the header's).
    private let seen: [String]
    /// `--map` fields not seen yet (checked until each is seen).
    private var missing: [FieldRole: String]
    /// Unmapped label/id candidates → the first line that carried one.
    private var ignored: [String: Int] = [:]
    private let watch: [String]

    /// Reads up to `window` records from `base` (none for CSV/TSV, whose header names
    /// every field) and resolves the mapping. Throws when no kind fits or a `--map` field is
    /// not in the header.
    /// With `strict` false (a `--map` shared by several files, checked over all of them by
    /// `Importer.checkMapFields`), a `--map` field this file lacks is a warning, not an error.
    /// With `windowOnly` (the file is written as it is read, `--on-error skip`), a `--map`
    /// field the window does not show is an error at once, before anything is written.
    init(
        _ base: RecordReader, header: [String]?, path: String, kind: SampleKind?, overrides: [FieldRole: String],
        strict: Bool = true, windowOnly: Bool = false
    ) throws {
        self.base = base
        self.path = path
        self.strict = strict
        var buffered: [RawItem] = []
        var bufferedRaw: [String?] = []
        var names = Set<String>()
        var firstLine = 1
        if let header {
            names = Set(header)
        } else {
            // Past the window only while no valid record has come (they all go to the writer).
            while buffered.count < Self.window || names.isEmpty, let item = try base.next() {
                if case .record(let line, let fields) = item {
                    if names.isEmpty { firstLine = line }
                    names.formUnion(fields.keys)
                }
                buffered.append(item)
                if case .record = item { bufferedRaw.append(base.lastRaw) } else { bufferedRaw.append(nil) }
            }
        }
        self.buffered = buffered
        self.bufferedRaw = bufferedRaw
        let seen = header ?? names.sorted()
        self.seen = seen
        missing = overrides.filter { !$0.value.isEmpty && !names.contains($0.value) }
        if strict, header != nil, let (role, field) = missing.sorted(by: { $0.value < $1.value }).first {
            throw WinnowError.unreadableInput(path: path, reason: Self.missingReason(role, field, seen: seen, header: true))
        }
        if strict, windowOnly, !names.isEmpty, let (role, field) = missing.sorted(by: { $0.value < $1.value }).first {
            throw WinnowError.unreadableInput(
                path: path,
                reason: Self.missingReason(role, field, seen: seen, header: false)
                    + " (with --on-error skip the mapping is checked over the first \(Self.window) records, before anything is written; --on-error abort checks the whole file)")
        }
        if names.isEmpty {
            // No valid record in the window: the caller reports the problems.
            mapping = FieldMapping(kind: kind ?? .text, scenes: [], meta: [])
            watch = []
            resolved = false
            return
        }
        do {
            mapping = try FieldMapping.resolve(fields: seen, kind: kind, overrides: overrides)
        } catch let error as WinnowError {
            throw WinnowError.unreadableInput(path: path, reason: "line \(firstLine): \(error.description)")
        }
        resolved = true
        // Label and id fields that would be dropped: the role is unmapped and not switched
        // off with an empty `--map label=` / `--map id=`, and the field plays no other role.
        let used = Set(mapping.fieldsUsed)
        var watch: [String] = []
        if mapping.label == nil && overrides[.label] == nil { watch += FieldMapping.labelNames }
        if mapping.id == nil && overrides[.id] == nil { watch += FieldMapping.idNames }
        self.watch = watch.filter { !used.contains($0) }
    }

    /// Whether a mapping was resolved (false when the window held no valid record).
    let resolved: Bool
    private let strict: Bool

    func next() throws -> RawItem? {
        let item: RawItem?
        if position < buffered.count {
            item = buffered[position]
            buffered[position] = .bad(RecordProblem(line: 0, reason: ""), raw: nil) // release it
            last = bufferedRaw[position]
            bufferedRaw[position] = nil
            lastFromBuffer = true
            position += 1
            if position == buffered.count { buffered = []; bufferedRaw = []; position = 0 }
        } else {
            item = try base.next()
            lastFromBuffer = false
        }
        if case .record(let line, let fields)? = item {
            if !missing.isEmpty {
                missing = missing.filter { fields[$0.value] == nil }
            }
            for name in watch where ignored[name] == nil {
                if let value = fields[name], !(value is NSNull) { ignored[name] = line }
            }
        }
        return item
    }

    /// At the end of the file: throws for a `--map` field no record had; returns warnings
    /// for label and id fields the mapping ignored.
    func finish() throws -> [String] {
        guard resolved else { return [] } // no valid record: the import says so
        let missing = self.missing.sorted { $0.value < $1.value }
        if strict, let (role, field) = missing.first {
            throw WinnowError.unreadableInput(path: path, reason: Self.missingReason(role, field, seen: seen, header: false))
        }
        let notHere = missing.map { "\(path): no record has a field '\($0.value)'; --map \($0.key)=\($0.value) does not apply to this file" }
        return notHere
            + ignored.sorted { $0.value < $1.value }.map { name, line in
                let role = FieldMapping.labelNames.contains(name) ? "label" : "id"
                return
                    "\(path): records carry a '\(name)' field (first at line \(line)) that the mapping ignores; to keep it as the \(role), import with --map \(role)=\(name) (for a file imported already, add --update)"
            }
    }

    /// The field names of a file's header, or of its first `window` records.
    static func fieldsSeen(_ input: InputFile, format: InputFormat, maxRecordBytes: Int) throws -> Set<String> {
        let opened = try openRecords(input, format: format, maxRecordBytes: maxRecordBytes)
        let (records, header) = (opened.reader, opened.header)
        if let header { return Set(header) }
        var names = Set<String>()
        var count = 0
        while count < window, let item = try records.next() {
            if case .record(_, let fields) = item { names.formUnion(fields.keys) }
            count += 1
        }
        return names
    }

    private static func missingReason(_ role: FieldRole, _ field: String, seen: [String], header: Bool) -> String {
        let fields = seen.isEmpty ? "none" : seen.joined(separator: ", ")
        return
            "--map \(role)=\(field): \(header ? "the header has no column" : "no record has a field") '\(field)'; the \(header ? "columns are" : "fields seen are") [\(fields)]; check the spelling"
    }
}

extension FieldMapping {
    /// The field names recognised as a label or an id (SPEC section 3).
    static let labelNames = ["label", "labels", "class", "category"]
    static let idNames = ["id", "uid", "_id"]

    /// Every input field this mapping reads.
    var fieldsUsed: [String] {
        [id, text, textA, textB, label, score, instruction, input, output, messages].compactMap { $0 }
            + scenes.map(\.1) + meta.map(\.1)
    }
}

extension Importer {
    /// For one `--map` shared by several files: refuses, before anything is imported, a
    /// `--map` field that none of the files has (in its header or first 1,000 records). When a
    /// file cannot be read ahead (a pipe, an unreadable file) nothing is refused here, and each
    /// file's import warns about the `--map` fields it lacks.
    public static func checkMapFields(_ files: [String], options: ImportOptions) throws {
        let fields = options.map.filter { !$0.value.isEmpty }
        if fields.isEmpty { return }
        var seen = Set<String>()
        for file in files {
            var info = stat()
            guard stat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return }
            // A file that cannot be read is reported by its own import, in its turn.
            guard let input = try? InputFile(path: file), (try? input.checkReadable()) != nil,
                let fields = try? MappingLookahead.fieldsSeen(
                    input, format: options.format ?? input.detectFormat(),
                    maxRecordBytes: options.maxRecordBytes)
            else { return }
            seen.formUnion(fields)
        }
        if let (role, field) = fields.sorted(by: { $0.value < $1.value }).first(where: { !seen.contains($0.value) }) {
            throw WinnowError.invalidArgument(
                "--map \(role)=\(field): none of the files has a field '\(field)' (in its header or first 1,000 records); the fields seen are [\(seen.sorted().joined(separator: ", "))]; check the spelling"
            )
        }
    }
}

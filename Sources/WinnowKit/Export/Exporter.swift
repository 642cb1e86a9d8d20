import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// The formats `winnow export` writes.
public enum ExportFormat: String, CaseIterable, Sendable {
    case jsonl, hf
    case openaiChat = "openai-chat"
    case alpaca, pairs, csv

    /// The sample kinds each format can express.
    var kinds: [SampleKind] {
        switch self {
        case .jsonl, .hf, .csv: return SampleKind.allCases
        case .openaiChat: return [.chat, .instruction, .text]
        case .alpaca: return [.instruction]
        case .pairs: return [.pair]
        }
    }
}

/// How `winnow export` writes a snapshot.
public struct ExportOptions: Sendable {
    public var format: ExportFormat = .jsonl
    public var out: String
    /// Split names and ratios. This and the next four: nil (left out) takes the saved split
    /// scheme's setting, or for a new scheme the default (everything in `train`, stratified by
    /// label, no grouping, seed 0); a setting given must be the saved scheme's.
    public var split: [(String, Double)]?
    public var kfold: Int?
    /// `label` or `scene.DIM`.
    public var stratify: String?
    /// Keep each near-duplicate cluster in one split.
    public var groupNearDuplicates: Bool?
    public var seed: UInt64?
    public var scheme = "default"
    public var system: String?
    public var force = false
    /// csv: write cells exactly, without the formula-injection guard.
    public var raw = false
    public init(out: String) { self.out = out }
}

/// The split settings an export ran with: its options, completed from the saved scheme.
public struct SplitSettings: Sendable {
    public var ratios: [(String, Double)]
    public var stratify: String
    public var groupNearDuplicates: Bool
    public var seed: UInt64
    /// The settings left out of the options and taken from the saved scheme, as command-line
    /// options (`--seed 7`); empty for a new scheme or when every setting was given.
    public var reused: [String] = []
}

extension SplitSettings {
    /// The settings of a new scheme: the options, defaults for what they leave out.
    init(_ options: ExportOptions) {
        ratios = options.kfold.map { k in (0..<k).map { ("fold-\($0)", 1 / Double(k)) } } ?? options.split ?? [("train", 1)]
        stratify = options.stratify ?? "label"
        groupNearDuplicates = options.groupNearDuplicates ?? false
        seed = options.seed ?? 0
    }

    /// These settings as command-line options.
    var commandLine: [String] {
        [Splits.option(ratios), "--stratify \(stratify)", groupNearDuplicates ? "--group near-duplicate" : "no --group", "--seed \(seed)"]
    }
}

/// What `export` wrote: the manifest, the split settings, the folders it had to create.
public struct ExportResult: Sendable {
    public var manifest: String
    public var settings: SplitSettings
    /// Missing parent folders of `--out` that the export created, outermost first.
    public var createdFolders: [String]
    /// What the user should know about the files (an hf card without features).
    public var warnings: [String] = []
}

/// One member as splitting and the formats see it; its content is streamed separately.
struct ExportMember {
    var sampleID: Int64
    var contentID: Int64
    var uid: String
    var kind: SampleKind
    var label: String?
    var score: Double?
    var scenes: [(String, String)]
}

extension Store {
    /// Writes a snapshot for fine-tuning: split files, manifest.json (and a dataset card for
    /// `hf`), into a temporary folder renamed to `out` when complete. Byte-identical for the
    /// same snapshot and options. Missing parent folders of `out` are created (and removed
    /// again, if still empty, when the export fails).
    public func export(snapshot name: String, options: ExportOptions) throws -> ExportResult {
        var options = options
        options.scheme = try Names.valid(options.scheme, .scheme)
        try ExportTarget.check(options.out, force: options.force, storePath: path)
        let missing = try ExportTarget.missingParents(options.out)
        do {
            // Another export may save assignments for the same scheme between our read and our
            // write; then the files are made again from the assignments it saved.
            var attempt = 1
            while true {
                if let result = try exportOnce(snapshot: name, options: options, missingParents: missing, lastAttempt: attempt == 3) {
                    return result
                }
                attempt += 1
            }
        } catch {
            for folder in missing.reversed() { rmdir(folder) }   // only the empty ones go
            throw error
        }
    }

    /// One attempt of `export`; nil when the scheme changed under it and it must be redone.
    private func exportOnce(snapshot name: String, options: ExportOptions, missingParents: [String],
                            lastAttempt: Bool) throws -> ExportResult? {
        let outURL = URL(fileURLWithPath: options.out)
        let fm = FileManager.default
        let parent = outURL.deletingLastPathComponent()

        // Read the frozen members and place them in the scheme's splits, in a read transaction
        // (the snapshot is immutable): writers are not held up while every member is read.
        // The placement is saved only once the files are complete.
        let (row, records, metrics, plan) = try pool.read { db -> (Row, [ExportMember], SnapshotMetrics, SplitPlan) in
            let row = try Store.snapshotRow(db, name: name)
            let reader = try SceneReader(db, watermark: row["scene_watermark"])
            var records: [ExportMember] = []
            records.reserveCapacity(row["members"] as Int)
            // Everything but the content: that is streamed to the files afterwards, in the same order.
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT m.sample_id, s.uid, s.kind, rv.label, rv.score, rv.content_id
                FROM snapshot_members m JOIN samples s ON s.id = m.sample_id JOIN revisions rv ON rv.id = m.revision_id
                WHERE m.snapshot_id = ? ORDER BY s.uid
                """, arguments: [row["id"] as Int64])
            while let r = try cursor.next() {
                let id: Int64 = r[0]
                records.append(ExportMember(sampleID: id, contentID: r[5], uid: r[1], kind: SampleKind(rawValue: r[2]) ?? .text,
                                            label: r[3], score: r[4], scenes: reader.scenes(id)))
            }
            if records.isEmpty {
                throw WinnowError.invalidArgument("snapshot \(name) is empty (0 members): nothing to export, nothing written; make a snapshot whose selection matches samples (`winnow samples --count` with the same --label/--scene/--source shows how many)")
            }
            let unfit = Set(records.map(\.kind)).subtracting(options.format.kinds)
            if let kind = unfit.sorted(by: { $0.rawValue < $1.rawValue }).first {
                let fits = ExportFormat.allCases.filter { $0.kinds.contains(kind) }.map(\.rawValue)
                throw WinnowError.invalidArgument("snapshot \(name) holds \(kind.rawValue) samples, which --format \(options.format.rawValue) cannot express; formats for \(kind.rawValue) samples: \(fits.joined(separator: ", ")) (or snapshot a selection without them)")
            }
            if options.format == .openaiChat, let bare = records.first(where: { $0.kind == .text && $0.label == nil }) {
                throw WinnowError.invalidArgument("openai-chat needs a label on text samples (user text, assistant label); \(bare.uid) has none — label it or export jsonl")
            }
            let metricsJSON: String = row["metrics"]
            let metrics = try JSONDecoder().decode(SnapshotMetrics.self, from: Data(metricsJSON.utf8))
            let plan = try Store.planSplits(db, records: records, options: options)
            return (row, records, metrics, plan)
        }
        let assignment = plan.splits
        let ratios = plan.settings.ratios

        if let deepest = missingParents.last {
            do { try fm.createDirectory(atPath: deepest, withIntermediateDirectories: true) } catch {
                throw WinnowError.invalidArgument("cannot create the folder \(deepest) for --out \(options.out): \(error.localizedDescription)")
            }
        }
        // Write everything into a temporary folder first; remove what killed exports left.
        let tempPrefix = ".\(outURL.lastPathComponent).winnow-tmp-"
        for entry in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] where entry.hasPrefix(tempPrefix) {
            if let pid = Int32(entry.dropFirst(tempPrefix.count)), pid != getpid(), kill(pid, 0) == 0 { continue }  // a live export
            try? fm.removeItem(at: parent.appendingPathComponent(entry))
        }
        let temp = parent.appendingPathComponent(tempPrefix + "\(getpid())")
        try? fm.removeItem(at: temp)
        try fm.createDirectory(at: temp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: temp) }   // a failed export leaves no temporary folder (once renamed, none is left)
        var splitEntries: [(String, String)] = []
        let dataDir = options.format == .hf ? "data/" : ""
        if options.format == .hf { try fm.createDirectory(at: temp.appendingPathComponent("data"), withIntermediateDirectories: true) }
        let labelIndex = Dictionary(uniqueKeysWithValues: metrics.labels.enumerated().map { ($1, $0) })
        // Stream the members in uid order into their split's file, hashing as we go.
        let ext = options.format == .csv ? "csv" : "jsonl"
        let writers = try ratios.map { (split, _) -> SplitWriter in
            let file = "\(dataDir)\(split).\(ext)"
            let writer = try SplitWriter(url: temp.appendingPathComponent(file), file: file)
            if options.format == .csv { try writer.write(CSVExport.header + "\n") }
            return writer
        }
        let writerFor = Dictionary(uniqueKeysWithValues: zip(ratios.map(\.0), writers))
        var shape = DatasetCard.Shape()
        if options.format == .hf { for member in records { shape.add(member) } }
        try pool.read { db in
            try db.execute(sql: "PRAGMA mmap_size = \(Store.scanMapSize)")
            defer { try? db.execute(sql: "PRAGMA mmap_size = 0") }
            // One lookup per member, in the members' (uid) order: sorting the rows with their
            // content in SQL would hold every text in the sorter.
            let statement = try db.makeStatement(sql: """
                SELECT id, \(ContentColumns.selectList("")) FROM contents WHERE id = ?
                """)
            let stmt = statement.sqliteStatement
            for (index, member) in records.enumerated() {
                sqlite3_reset(stmt)
                sqlite3_bind_int64(stmt, 1, member.contentID)
                let code = sqlite3_step(stmt)
                guard code == SQLITE_ROW else {
                    if code == SQLITE_DONE { throw WinnowError.writeFailed(path: options.out, detail: "the content of \(member.uid) is missing from the store (run `winnow snapshot verify`)") }
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
                guard let writer = writerFor[assignment[index]] else {
                    throw WinnowError.writeFailed(path: options.out, detail: "\(member.uid) is assigned to split '\(assignment[index])', which this export does not write")
                }
                if (options.format == .jsonl || options.format == .hf), member.kind == .text, let text = Store.columnBytes(stmt, 1) {
                    try writer.writeTextLine(member, text: text)   // the common case, without Swift strings for the content
                } else {
                    let content = ContentColumns.content(stmt)
                    if options.format == .hf, case .chat(let messages) = content { shape.add(messages) }
                    try writer.write(Store.line(member, content: content, options: options, labelIndex: labelIndex) + "\n")
                }
                writer.count += 1
                if let l = member.label { writer.labels[l, default: 0] += 1 }
            }
            sqlite3_reset(stmt)
        }
        for (split, w) in zip(ratios.map(\.0), writers) {
            try w.close()
            let labelJSON = jsonObject(w.labels.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") })
            splitEntries.append((split, jsonObject([("file", JSONText.quote(w.file)), ("count", "\(w.count)"), ("bytes", "\(w.bytes)"),
                                                  ("sha256", JSONText.quote(w.digest)), ("labels", labelJSON)])))
        }
        var warnings: [String] = []
        if options.format == .hf {
            if shape.features == nil {
                warnings.append("the hf card declares no features: chat message keys hold values of different JSON types (\(shape.conflictingKeys.joined(separator: ", "))), which no feature type fits; datasets will infer the types itself, and label stays a string (make those values one type to get them)")
            }
            let fingerprint: String = row["fingerprint"]
            let config = DatasetCard.identity(fingerprint: fingerprint, scheme: options.scheme, settings: plan.settings,
                                              files: writers.map { ($0.file, $0.digest) })
            let card = DatasetCard.text(snapshot: name, fingerprint: fingerprint, config: config,
                                        splits: zip(ratios.map(\.0), writers).map { ($0, $1.file, $1.count) },
                                        labels: metrics.labels, features: shape.features)
            try Data(card.utf8).write(to: temp.appendingPathComponent("README.md"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let coverageJSON = String(decoding: try encoder.encode(metrics.coverage), as: UTF8.self)
        let flagsJSON = String(decoding: try encoder.encode(metrics.flags), as: UTF8.self)
        let reviewJSON = String(decoding: try encoder.encode(metrics.review), as: UTF8.self)
        func weightsJSON(_ w: Balance.Weights) -> String {
            jsonObject([("inverse", "[" + w.inverse.map(jsonNumber).joined(separator: ",") + "]"),
                        ("balanced", "[" + w.balanced.map(jsonNumber).joined(separator: ",") + "]"),
                        ("normalized", "[" + w.normalized.map(jsonNumber).joined(separator: ",") + "]")])
        }
        // Over the snapshot (as `stats --snapshot` shows them), and over the train split, which
        // is what a classifier trained on it sees; in the order of `labels`.
        let trainWeights = writerFor["train"].map { train in Balance.weights(metrics.labels.map { train.labels[$0] ?? 0 }) }
        let manifest = jsonObject([
            ("snapshot", JSONText.quote(name)), ("fingerprint", JSONText.quote(row["fingerprint"])),
            ("tool_version", JSONText.quote(Winnow.version)), ("format", JSONText.quote(options.format.rawValue)),
            ("seed", "\(plan.settings.seed)"), ("scheme", JSONText.quote(options.scheme)),
            ("stratify", JSONText.quote(plan.settings.stratify)), ("group", plan.settings.groupNearDuplicates ? "\"near-duplicate\"" : "null"),
            ("labels", jsonArray(metrics.labels)),
            ("class_weights", weightsJSON(metrics.classWeights)), ("class_weights_over", "\"snapshot\""),
            ("train_class_weights", trainWeights.map(weightsJSON) ?? "null"),
            ("splits", jsonObject(splitEntries)),
            ("coverage", coverageJSON), ("flags", flagsJSON), ("review", reviewJSON),
        ])
        try Data((manifest + "\n").utf8).write(to: temp.appendingPathComponent("manifest.json"))

        // The files are complete: save the scheme and the new assignments in a short
        // transaction of their own (none when every member already has its split).
        let saved = plan.schemeID != nil && plan.fresh.isEmpty
            ? true : try writeImmediate { db in try Store.saveSplits(db, plan, options: options) }
        if !saved {
            if lastAttempt {
                throw WinnowError.invalidArgument("split scheme '\(options.scheme)' kept changing while this export ran (other exports of it at the same time); nothing was written — run the export again")
            }
            return nil
        }
        Faults.point("export")
        do {
            // Look again: the folder may have changed while the files were written.
            try ExportTarget.check(options.out, force: options.force, storePath: path)
            if ExportTarget.fileType(outURL.path) != nil { try fm.removeItem(at: outURL) }
            try fm.moveItem(at: temp, to: outURL)
        } catch {
            let detail = (error as? WinnowError)?.description ?? error.localizedDescription
            throw WinnowError.invalidArgument("the export of \(name) was complete but could not be put at --out \(options.out): \(detail). The split assignments were saved, so the same export run again writes the same files")
        }
        return ExportResult(manifest: manifest, settings: plan.settings, createdFolders: missingParents, warnings: warnings)
    }

    /// Where an export's members go, read but not yet saved: the scheme (nil when it is new)
    /// and the split of each record, and the assignments to add.
    struct SplitPlan {
        var schemeID: Int64?
        var settings: SplitSettings
        var splits: [String]
        var fresh: [(sample: Int64, split: String)]
        /// How many assignments the scheme held when the plan was read.
        var assigned: Int
    }

    /// Split assignment for the records under the scheme: one split per record, in the
    /// records' order. Samples already assigned keep their split; nothing is written.
    static func planSplits(_ db: Database, records: [ExportMember], options: ExportOptions) throws -> SplitPlan {
        let schemeID = try Int64.fetchOne(db, sql: "SELECT id FROM split_schemes WHERE name = ?", arguments: [options.scheme])
        var existing: [Int64: String] = [:]
        var assigned = 0
        var settings = SplitSettings(options)
        if let id = schemeID {
            settings = try schemeSettings(db, id: id, options: options)
            let stored = try Row.fetchCursor(db, sql: "SELECT sample_id, split FROM split_assignments WHERE scheme_id = ?", arguments: [id])
            while let r = try stored.next() { existing[r[0]] = r[1]; assigned += 1 }
        }
        // Units: a sample, or with --group near-duplicate its whole cluster.
        var clusterOf: [Int64: String] = [:]
        if settings.groupNearDuplicates {
            for r in try Row.fetchAll(db, sql: "SELECT sample_id, json_extract(details, '$.cluster') AS cluster FROM flags WHERE detector = 'near-duplicate'") {
                if let c: Int64 = r["cluster"] { clusterOf[r["sample_id"]] = "c\(c)"; clusterOf[c] = "c\(c)" }
            }
        }
        let dimension = settings.stratify.hasPrefix("scene.") ? String(settings.stratify.dropFirst(6)) : nil
        var units: [Splits.Unit] = []
        var unitOf = [Int](repeating: 0, count: records.count)
        var clusterUnit: [String: Int] = [:]
        for (i, record) in records.enumerated() {
            let stratum: String
            if settings.stratify == "label" { stratum = record.label ?? "" }
            else if let dimension { stratum = record.scenes.first { $0.0 == dimension }?.1 ?? "" }
            else { stratum = "" }
            let existingSplit = existing[record.sampleID]
            if let cluster = clusterOf[record.sampleID] {
                if let u = clusterUnit[cluster] {
                    units[u].members.append(record.sampleID)
                    if let s = existingSplit { units[u].existing = s }
                    unitOf[i] = u
                    continue
                }
                clusterUnit[cluster] = units.count
            }
            unitOf[i] = units.count
            units.append(Splits.Unit(key: clusterOf[record.sampleID] ?? record.uid, members: [record.sampleID],
                                     stratum: stratum, existing: existingSplit))
        }
        let placed = Splits.assign(units, ratios: settings.ratios, seed: settings.seed)
        var plan = SplitPlan(schemeID: schemeID, settings: settings, splits: [], fresh: [], assigned: assigned)
        plan.splits.reserveCapacity(records.count)
        for (i, record) in records.enumerated() {
            let split = existing[record.sampleID] ?? placed[unitOf[i]]
            plan.splits.append(split)
            if existing[record.sampleID] == nil { plan.fresh.append((record.sampleID, split)) }
        }
        return plan
    }

    /// The settings of a saved scheme: those the options give must be its own (else refused);
    /// those they leave out are taken from it.
    static func schemeSettings(_ db: Database, id: Int64, options: ExportOptions) throws -> SplitSettings {
        let stored = try Row.fetchOne(db, sql: "SELECT ratios, stratify, grouping, seed FROM split_schemes WHERE id = ?", arguments: [id])
        let ratiosJSON = (stored?["ratios"] as String?) ?? ""
        guard let ratios = Splits.ratios(json: ratiosJSON) else {
            throw WinnowError.invalidArgument("split scheme '\(options.scheme)' holds ratios Winnow cannot read (\(ratiosJSON)); pass --scheme NEW for a new scheme")
        }
        let saved = SplitSettings(ratios: ratios, stratify: (stored?["stratify"] as String?) ?? "label",
                                  groupNearDuplicates: (stored?["grouping"] as String?) == "near-duplicate",
                                  seed: UInt64(bitPattern: (stored?["seed"] as Int64?) ?? 0))
        let given = SplitSettings(options)
        let savedOptions = saved.commandLine, givenOptions = given.commandLine
        let isGiven = [options.split != nil || options.kfold != nil, options.stratify != nil, options.groupNearDuplicates != nil, options.seed != nil]
        var differing: [String] = []
        var settings = saved
        for i in savedOptions.indices {
            if !isGiven[i] { settings.reused.append(savedOptions[i]) }
            else if givenOptions[i] != savedOptions[i] { differing.append(givenOptions[i]) }
        }
        if !differing.isEmpty {
            throw WinnowError.invalidArgument("split scheme '\(options.scheme)' was made with other settings (\(savedOptions.joined(separator: ", "))), not \(differing.joined(separator: ", ")); leave those options out to reuse the scheme's, or pass --scheme NEW for a new scheme")
        }
        return settings
    }

    /// Saves a plan: the scheme if new, and its fresh assignments. false (nothing saved) when
    /// another export created the scheme or placed one of these samples elsewhere since the
    /// plan was read.
    static func saveSplits(_ db: Database, _ plan: SplitPlan, options: ExportOptions) throws -> Bool {
        let current = try Int64.fetchOne(db, sql: "SELECT id FROM split_schemes WHERE name = ?", arguments: [options.scheme])
        guard current == plan.schemeID else { return false }
        let scheme: Int64
        if let id = current {
            scheme = id
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM split_assignments WHERE scheme_id = ?", arguments: [id]) ?? 0
            if count != plan.assigned {
                // Assignments were added meanwhile: ours must agree with them.
                let lookup = try db.makeStatement(sql: "SELECT split FROM split_assignments WHERE scheme_id = ? AND sample_id = ?")
                for (sample, split) in plan.fresh {
                    if let other = try String.fetchOne(lookup, arguments: [id, sample]), other != split { return false }
                }
            }
        } else {
            try db.execute(sql: "INSERT INTO split_schemes (name, ratios, stratify, grouping, seed, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [options.scheme, Splits.json(plan.settings.ratios), plan.settings.stratify,
                                       plan.settings.groupNearDuplicates ? "near-duplicate" : nil,
                                       Int64(bitPattern: plan.settings.seed), Timestamp.string(Date())])
            scheme = db.lastInsertedRowID
        }
        let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO split_assignments (scheme_id, sample_id, split) VALUES (?, ?, ?)")
        for (sample, split) in plan.fresh { try insert.execute(arguments: [scheme, sample, split]) }
        return true
    }

    /// One record in the chosen format.
    static func line(_ r: ExportMember, content: SampleContent, options: ExportOptions, labelIndex: [String: Int]) -> String {
        let scenes = jsonObject(r.scenes.map { ($0.0, JSONText.quote($0.1)) })
        let label = r.label.map(JSONText.quote) ?? "null"
        switch options.format {
        case .jsonl, .hf:
            var pairs: [(String, String)] = [("uid", JSONText.quote(r.uid)), ("kind", JSONText.quote(r.kind.rawValue))]
            switch content {
            case .text(let t): pairs.append(("text", JSONText.quote(t)))
            case .pair(let a, let b): pairs += [("text_a", JSONText.quote(a)), ("text_b", JSONText.quote(b))]
                if let score = r.score { pairs.append(("score", jsonNumber(score))) }
            case .instruction(let i, let input, let o): pairs += [("instruction", JSONText.quote(i)), ("input", JSONText.quote(input)), ("output", JSONText.quote(o))]
            case .chat(let m): pairs.append(("messages", SampleContent.messagesJSON(m)))
            }
            pairs += [("label", label), ("scenes", scenes)]
            return jsonObject(pairs)
        case .openaiChat:
            var messages: [ChatMessage] = options.system.map { [ChatMessage(role: "system", content: $0)] } ?? []
            switch content {
            case .chat(let m): messages += m.filter { options.system == nil || $0.role != "system" }
            case .instruction(let i, let input, let o):
                messages.append(ChatMessage(role: "user", content: input.isEmpty ? i : i + "\n\n" + input))
                messages.append(ChatMessage(role: "assistant", content: o))
            case .text(let t):
                messages.append(ChatMessage(role: "user", content: t))
                messages.append(ChatMessage(role: "assistant", content: r.label ?? ""))
            case .pair: break
            }
            return jsonObject([("messages", SampleContent.messagesJSON(messages))])
        case .alpaca:
            guard case .instruction(let i, let input, let o) = content else { return "" }
            return jsonObject([("instruction", JSONText.quote(i)), ("input", JSONText.quote(input)), ("output", JSONText.quote(o))])
        case .pairs:
            guard case .pair(let a, let b) = content else { return "" }
            var pairs = [("sentence1", JSONText.quote(a)), ("sentence2", JSONText.quote(b))]
            if let l = r.label, let index = labelIndex[l] { pairs.append(("label", "\(index)")) }
            else if let score = r.score { pairs.append(("score", jsonNumber(score))) }
            return jsonObject(pairs)
        case .csv:
            var cells = [r.uid, r.kind.rawValue, "", "", "", "", "", "", ""]
            switch content {
            case .text(let t): cells[2] = t
            case .pair(let a, let b): cells[3] = a; cells[4] = b
            case .instruction(let i, let input, let o): cells[5] = i; cells[6] = input; cells[7] = o
            case .chat(let m): cells[8] = SampleContent.messagesJSON(m)
            }
            cells += [r.label ?? "", r.scenes.map { "\($0.0)=\($0.1)" }.joined(separator: ";")]
            return cells.map { CSVExport.cell($0, raw: options.raw) }.joined(separator: ",")
        }
    }
}

/// CSV writing: RFC 4180 quoting and the spreadsheet formula guard.
public enum CSVExport {
    static let header = "uid,kind,text,text_a,text_b,instruction,input,output,messages,label,scenes"

    /// A cell: a leading = + - @ tab or CR is prefixed with ' (unless raw) so spreadsheets do
    /// not run it as a formula; quoted when it holds a comma, quote or line break.
    public static func cell(_ value: String, raw: Bool) -> String {
        var v = value
        if !raw, let first = v.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { v = "'" + v }
        // By scalar: "\r\n" is one Character in Swift, equal to neither "\r" nor "\n".
        if v.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }
}

/// A split file written through 1 MiB buffers, counted and hashed on the way. Hashing and
/// writing run on a background queue (at most two buffers in flight), overlapping the
/// reading and formatting of the next records.
final class SplitWriter: @unchecked Sendable {
    let file: String
    private let handle: FileHandle
    private var buffer = [UInt8]()
    private var hasher = SHA256()                 // used on `queue` only
    private var failure: (any Error)?             // set on `queue`, read after draining it
    private let queue = DispatchQueue(label: "winnow.export.split-writer")
    private let inFlight = DispatchSemaphore(value: 2)
    private(set) var bytes = 0
    private(set) var digest = ""
    var count = 0
    var labels: [String: Int] = [:]

    init(url: URL, file: String) throws {
        self.file = file
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = FileHandle(forWritingAtPath: url.path) else {
            throw WinnowError.writeFailed(path: url.path, detail: "cannot create the file")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 21)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// A jsonl/hf line of a text sample, escaped straight from the store's bytes; the same
    /// bytes as `Store.line` writes for it.
    func writeTextLine(_ m: ExportMember, text: UnsafeBufferPointer<UInt8>) throws {
        buffer.append(contentsOf: #"{"uid":"#.utf8)
        var uid = m.uid
        uid.withUTF8 { JSONText.appendQuoted($0, to: &buffer) }
        buffer.append(contentsOf: #","kind":"text","text":"#.utf8)
        JSONText.appendQuoted(text, to: &buffer)
        buffer.append(contentsOf: #","label":"#.utf8)
        if var label = m.label { label.withUTF8 { JSONText.appendQuoted($0, to: &buffer) } }
        else { buffer.append(contentsOf: "null".utf8) }
        buffer.append(contentsOf: #","scenes":"#.utf8)
        buffer.append(contentsOf: jsonObject(m.scenes.map { ($0.0, JSONText.quote($0.1)) }).utf8)
        buffer.append(contentsOf: "}\n".utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        let chunk = buffer
        buffer = []
        buffer.reserveCapacity(1 << 21)
        bytes += chunk.count
        inFlight.wait()
        queue.async { [self] in
            defer { inFlight.signal() }
            guard failure == nil else { return }
            chunk.withUnsafeBufferPointer { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            do { try handle.write(contentsOf: chunk) } catch { failure = error }
        }
        Faults.point("export")
    }

    func close() throws {
        try flush()
        let error = queue.sync { failure }
        if let error {
            try? handle.close()
            throw WinnowError.writeFailed(path: file, detail: "\(error.localizedDescription) (is the disk full?)")
        }
        try handle.synchronize()
        try handle.close()
        digest = queue.sync { ContentHash.hex(Array(hasher.finalize())) }
    }
}

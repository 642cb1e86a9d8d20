import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// `snapshot create|show --json` (SPEC section 11).
public struct SnapshotInfo: Codable, Sendable {
    public var name: String
    public var fingerprint: String
    public var members: Int
    public var createdAt: String
    @NullEncodable public var message: String?
    public var labels: [String: Int]
    /// `snapshot create --exclude-flagged`: what the exclusion left out (absent otherwise).
    public var excluded: ExclusionReport?

    enum CodingKeys: String, CodingKey {
        case name, fingerprint, members, message, labels, excluded
        case createdAt = "created_at"
    }
}

/// What `--exclude-flagged` left out of a snapshot: samples otherwise selected that have an
/// open flag the exclusion counts, per label and per detector (a sample flagged by two
/// detectors counts once per label and once under each detector).
public struct ExclusionReport: Codable, Sendable, Equatable {
    public struct Label: Codable, Sendable, Equatable {
        /// nil for unlabelled samples (instruction and chat kinds).
        @NullEncodable public var label: String?
        /// Samples of this label the other filters selected, before the exclusion.
        public var selected: Int
        public var excluded: Int
        /// excluded / selected.
        public var share: Double
        public var byDetector: [String: Int]

        enum CodingKeys: String, CodingKey {
            case label, selected, excluded, share
            case byDetector = "by_detector"
        }
    }
    /// The detectors whose flags counted (empty: any detector).
    public var detectors: [String]
    @NullEncodable public var minScore: Double?
    public var excluded: Int
    public var byDetector: [String: Int]
    public var labels: [Label]

    enum CodingKeys: String, CodingKey {
        case detectors, excluded, labels
        case minScore = "min_score"
        case byDetector = "by_detector"
    }
}

/// `snapshot diff --json`: counts, and with a limit the uids.
public struct SnapshotDiff: Codable, Sendable {
    public var from: String
    public var to: String
    public var added: Int
    public var removed: Int
    public var contentChanged: Int
    public var relabeled: Int
    public var reannotated: Int
    public var uids: [String: [String]]?

    enum CodingKeys: String, CodingKey {
        case from, to, added, removed, relabeled, reannotated, uids
        case contentChanged = "content_changed"
    }
}

/// Which samples a snapshot takes.
public struct SnapshotSelection: Sendable {
    /// Leave out samples with an open flag this selects (nil: keep flagged samples). The bare
    /// `--exclude-flagged` is `FlagSelection()`: an open flag of any detector.
    public var excludeFlagged: FlagSelection?
    public var label: String?
    public var scene: (dimension: String, category: String)?
    public var source: String?
    public init() {}

    var json: String {
        var pairs: [(String, String)] = [("exclude_flagged", excludeFlagged == nil ? "false" : "true")]
        if let excludeFlagged {
            pairs.append(("exclude_detectors", jsonArray(excludeFlagged.detectors)))
            if let minScore = excludeFlagged.minScore { pairs.append(("exclude_min_score", jsonNumber(minScore))) }
        }
        if let label { pairs.append(("label", JSONText.quote(label))) }
        if let scene { pairs.append(("scene", JSONText.quote("\(scene.dimension)=\(scene.category)"))) }
        if let source { pairs.append(("source", JSONText.quote(source))) }
        return jsonObject(pairs)
    }
}

/// One member as diffs see it.
struct SnapshotMember {
    var sampleID: Int64
    var uid: String
    var hash: [UInt8]
    var label: String?
    var scenes: String
}

extension Store {
    /// Freezes the active samples (narrowed by `selection`) with their current revision,
    /// label and scene annotations. No content is copied: members point at revisions.
    /// The member rows are copied by one INSERT…SELECT; the fingerprint and the frozen
    /// metrics are then read from them in one pass, as `snapshot verify` reads them.
    public func createSnapshot(name: String, message: String?, selection: SnapshotSelection) throws -> SnapshotInfo {
        let name = try Names.valid(name, .snapshot)
        return try writeImmediate { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM snapshots WHERE name = ?)", arguments: [name]) == true {
                throw WinnowError.invalidArgument("snapshot '\(name)' exists already and never changes; choose another name (snapshots are immutable)")
            }
            var conditions = ["s.status = 'active'"]
            var arguments: StatementArguments = []
            try Store.checkSelection(db, label: selection.label, scene: selection.scene, source: selection.source)
            let shared = Store.selectionConditions(label: selection.label, scene: selection.scene, source: selection.source)
            conditions += shared.conditions
            arguments += shared.arguments
            var excluded: ExclusionReport?
            if let exclusion = selection.excludeFlagged {
                try Store.checkDetectors(db, exclusion.detectors, option: "--exclude-flagged")
                excluded = try Store.exclusionReport(db, exclusion, conditions: conditions, arguments: arguments)
                let flag = exclusion.condition()
                conditions.append("NOT EXISTS (SELECT 1 FROM flags f WHERE f.sample_id = s.id AND f.status = 'open' AND \(flag.sql))")
                arguments += flag.arguments
            }
            let watermark = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM scene_annotations") ?? 0
            let snapshotID = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM snapshots") ?? 0)
            // The members go in before their snapshot row, which needs their fingerprint:
            // the foreign key to snapshots is checked at commit.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            try db.execute(sql: """
                INSERT INTO snapshot_members (snapshot_id, sample_id, revision_id)
                SELECT \(snapshotID), s.id, s.revision_id FROM samples s\(selection.label == nil ? "" : " JOIN revisions r ON r.id = s.revision_id")
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY s.id
                """, arguments: arguments)
            // An empty snapshot would stay forever (snapshots are immutable): refuse it.
            if db.changesCount == 0 { throw WinnowError.emptySnapshot(name: name, leftOut: excluded?.excluded ?? 0) }
            try NearDuplicateClusters.freeze(db, snapshot: snapshotID)   // --group near-duplicate splits by these
            Faults.point("snapshot")
            let pass = try Store.memberPass(db, snapshot: snapshotID, watermark: watermark)
            let (metrics, labels) = try Store.snapshotMetrics(db, snapshot: snapshotID, pass: pass)
            Faults.point("snapshot")
            let createdAt = Timestamp.string(Date())
            try db.execute(sql: """
                INSERT INTO snapshots (id, name, message, created_at, fingerprint, members, selection, scene_watermark, metrics)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [snapshotID, name, message, createdAt, pass.fingerprint, pass.members,
                                 selection.json, watermark, metrics])
            return SnapshotInfo(name: name, fingerprint: pass.fingerprint, members: pass.members, createdAt: createdAt,
                                message: message, labels: labels, excluded: excluded)
        }
    }

    /// Counts, per label and per detector, the samples `conditions` selects that `exclusion`
    /// leaves out (samples `s` joined with their current revision `r`).
    static func exclusionReport(_ db: Database, _ exclusion: FlagSelection, conditions: [String],
                                arguments: StatementArguments) throws -> ExclusionReport {
        let flag = exclusion.condition()
        let whereClause = conditions.joined(separator: " AND ")
        var labels: [String?: ExclusionReport.Label] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT r.label, count(*) AS selected,
                   sum(EXISTS (SELECT 1 FROM flags f WHERE f.sample_id = s.id AND f.status = 'open' AND \(flag.sql))) AS excluded
            FROM samples s JOIN revisions r ON r.id = s.revision_id WHERE \(whereClause) GROUP BY r.label
            """, arguments: flag.arguments + arguments) {
            let label: String? = row["label"]
            let selected: Int = row["selected"], excluded: Int = row["excluded"] ?? 0
            labels[label] = ExclusionReport.Label(label: label, selected: selected, excluded: excluded,
                                                  share: selected > 0 ? Double(excluded) / Double(selected) : 0, byDetector: [:])
        }
        var byDetector: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT r.label, f.detector, count(DISTINCT s.id) AS n
            FROM samples s JOIN revisions r ON r.id = s.revision_id JOIN flags f ON f.sample_id = s.id AND f.status = 'open' AND \(flag.sql)
            WHERE \(whereClause) GROUP BY r.label, f.detector
            """, arguments: flag.arguments + arguments) {
            let label: String? = row["label"], detector: String = row["detector"], n: Int = row["n"]
            labels[label]?.byDetector[detector] = n
            byDetector[detector, default: 0] += n
        }
        let sorted = labels.values.sorted { ($0.label ?? "\u{10FFFF}") < ($1.label ?? "\u{10FFFF}") }
        return ExclusionReport(detectors: exclusion.detectors, minScore: exclusion.minScore,
                               excluded: sorted.reduce(0) { $0 + $1.excluded }, byDetector: byDetector, labels: sorted)
    }
}

/// What one pass over a snapshot's members yields: the fingerprint, the count, and how many
/// members carry each combination of scenes (for the frozen coverage).
struct MemberPass {
    var fingerprint: String
    var members: Int
    /// Members per scene combination (`SceneReader.Combination`), by combination number.
    var sceneCombinations: [Int]
    var combinations: [SceneReader.Combination]
    /// Members per label (UTF-8 bytes of the label; unlabeled members are not counted).
    var labels: [[UInt8]: Int]
}

/// The scene annotations in force at a watermark, read in one ordered scan and kept
/// compactly: the distinct combinations of scenes, and per sample id the number of its
/// combination. Members of a snapshot then find their scenes by array lookup.
struct SceneReader {
    /// One distinct set of scenes, sorted by dimension, with its fingerprint text `d=c;d=c`.
    struct Combination {
        var pairs: [(String, String)]
        var text: [UInt8]
    }
    private(set) var combinations: [Combination] = [Combination(pairs: [], text: [])]  // 0: no scenes
    private var combinationOf: [Int32] = []          // by sample id; 0 when the sample has none
    private var index: [String: Int32] = ["": 0]

    init(_ db: Database, watermark: Int64) throws {
        var bySample: [Int64: [(String, String)]] = [:]   // annotations replaced since the watermark
        let replaced = try Row.fetchCursor(db, sql: """
            SELECT sample_id, dimension, category FROM scene_annotations WHERE id <= ? AND replaced_by > ?
            """, arguments: [watermark, watermark])
        while let row = try replaced.next() { bySample[row[0] as Int64, default: []].append((row[1], row[2])) }
        // The current annotations, in (sample, dimension) order from their unique index.
        let statement = try db.makeStatement(sql: """
            SELECT sample_id, dimension, category FROM scene_annotations INDEXED BY scene_annotations_current
            WHERE replaced_by IS NULL AND id <= ? ORDER BY sample_id, dimension
            """)
        try statement.setArguments([watermark])
        let stmt = statement.sqliteStatement
        var sample: Int64 = -1
        var pairs: [(String, String)] = []
        func finish() {
            guard sample >= 0 else { return }
            if let old = bySample.removeValue(forKey: sample) { pairs += old; pairs.sort { $0.0 < $1.0 } }
            set(sample, pairs)
        }
        while true {
            let code = sqlite3_step(stmt)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            let id = sqlite3_column_int64(stmt, 0)
            if id != sample { finish(); sample = id; pairs.removeAll(keepingCapacity: true) }
            pairs.append((String(cString: sqlite3_column_text(stmt, 1)), String(cString: sqlite3_column_text(stmt, 2))))
        }
        finish()
        for (id, old) in bySample { set(id, old.sorted { $0.0 < $1.0 }) }
    }

    private mutating func set(_ sample: Int64, _ pairs: [(String, String)]) {
        guard sample >= 0, sample < Int64(Int32.max) else { return }
        let key = pairs.map { "\($0.0)\u{1E}\($0.1)" }.joined(separator: "\u{1F}")
        let number: Int32
        if let n = index[key] { number = n } else {
            number = Int32(combinations.count)
            index[key] = number
            combinations.append(Combination(pairs: pairs, text: Array(pairs.map { "\($0.0)=\($0.1)" }.joined(separator: ";").utf8)))
        }
        if Int(sample) >= combinationOf.count { combinationOf += [Int32](repeating: 0, count: max(Int(sample) + 1 - combinationOf.count, combinationOf.count)) }
        combinationOf[Int(sample)] = number
    }

    /// The number of a sample's combination of scenes (0: none).
    func combination(_ sample: Int64) -> Int {
        sample >= 0 && Int(sample) < combinationOf.count ? Int(combinationOf[Int(sample)]) : 0
    }

    /// A sample's scenes, sorted by dimension.
    func scenes(_ sample: Int64) -> [(String, String)] { combinations[combination(sample)].pairs }
}

extension Store {
    /// One pass over a snapshot's members in uid order: the fingerprint (SHA-256 over lines
    /// `uid\thash-hex\tlabel\tdim=cat;dim=cat\n`) and the counts behind its frozen coverage.
    static func memberPass(_ db: Database, snapshot: Int64, watermark: Int64) throws -> MemberPass {
        let reader = try SceneReader(db, watermark: watermark)
        try db.execute(sql: "PRAGMA mmap_size = \(Store.scanMapSize)")
        defer { try? db.execute(sql: "PRAGMA mmap_size = 0") }
        let statement = try db.makeStatement(sql: """
            SELECT m.sample_id, s.uid, c.hash, r.label FROM snapshot_members m
            JOIN samples s ON s.id = m.sample_id JOIN revisions r ON r.id = m.revision_id JOIN contents c ON c.id = r.content_id
            WHERE m.snapshot_id = ? ORDER BY s.uid
            """)
        try statement.setArguments([snapshot])
        let stmt = statement.sqliteStatement
        var hasher = SHA256()
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 21)
        var count = 0
        var perCombination = [Int](repeating: 0, count: reader.combinations.count)
        var labels: [[UInt8]: Int] = [:]
        var lastLabel: [UInt8]? = nil, lastLabelCount = 0   // runs of one label are counted without hashing
        let hexDigits = Array("0123456789abcdef".utf8)
        while true {
            let code = sqlite3_step(stmt)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            count += 1
            let combination = reader.combination(sqlite3_column_int64(stmt, 0))
            perCombination[combination] += 1
            if let uid = Store.columnBytes(stmt, 1) { buffer.append(contentsOf: uid) }
            buffer.append(0x09)
            if let blob = sqlite3_column_blob(stmt, 2)?.assumingMemoryBound(to: UInt8.self) {
                for i in 0..<Int(sqlite3_column_bytes(stmt, 2)) {
                    buffer.append(hexDigits[Int(blob[i] >> 4)]); buffer.append(hexDigits[Int(blob[i] & 15)])
                }
            }
            buffer.append(0x09)
            if let label = Store.columnBytes(stmt, 3) {
                buffer.append(contentsOf: label)
                if let last = lastLabel, label.elementsEqual(last) { lastLabelCount += 1 } else {
                    if let last = lastLabel { labels[last, default: 0] += lastLabelCount }
                    lastLabel = Array(label); lastLabelCount = 1
                }
            }
            buffer.append(0x09)
            buffer.append(contentsOf: reader.combinations[combination].text)
            buffer.append(0x0A)
            if buffer.count >= 1 << 20 {
                buffer.withUnsafeBufferPointer { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        buffer.withUnsafeBufferPointer { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        if let last = lastLabel { labels[last, default: 0] += lastLabelCount }
        return MemberPass(fingerprint: ContentHash.hex(Array(hasher.finalize())), members: count,
                          sceneCombinations: perCombination, combinations: reader.combinations, labels: labels)
    }

    /// Memory-mapped reads for the long member scans (fewer read calls on a large store).
    static let scanMapSize: Int64 = 1 << 31

    /// A snapshot's members as stored: each sample's frozen revision and the scenes in force then.
    static func members(_ db: Database, snapshot: Int64, watermark: Int64) throws -> [SnapshotMember] {
        let reader = try SceneReader(db, watermark: watermark)
        return try Row.fetchAll(db, sql: """
            SELECT m.sample_id, s.uid, c.hash, r.label FROM snapshot_members m JOIN samples s ON s.id = m.sample_id
            JOIN revisions r ON r.id = m.revision_id JOIN contents c ON c.id = r.content_id
            WHERE m.snapshot_id = ? ORDER BY m.sample_id
            """, arguments: [snapshot]).map { row in
            let id: Int64 = row["sample_id"]
            return SnapshotMember(sampleID: id, uid: row["uid"], hash: [UInt8](row["hash"] as Data), label: row["label"],
                                  scenes: String(decoding: reader.combinations[reader.combination(id)].text, as: UTF8.self))
        }
    }

    static func snapshotRow(_ db: Database, name: String) throws -> Row {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM snapshots WHERE name = ?", arguments: [name]) else {
            let names = try String.fetchAll(db, sql: "SELECT name FROM snapshots ORDER BY id")
            throw WinnowError.invalidArgument("no snapshot '\(name)'; snapshots: \(names.isEmpty ? "none (make one with `winnow snapshot create NAME`)" : names.joined(separator: ", "))")
        }
        return row
    }

    static func snapshotInfo(_ db: Database, name: String) throws -> SnapshotInfo {
        let row = try snapshotRow(db, name: name)
        var labels: [String: Int] = [:]
        for l in try Row.fetchAll(db, sql: """
            SELECT r.label, count(*) AS n FROM snapshot_members m JOIN revisions r ON r.id = m.revision_id
            WHERE m.snapshot_id = ? AND r.label IS NOT NULL GROUP BY r.label
            """, arguments: [row["id"] as Int64]) {
            labels[l["label"]] = l["n"]
        }
        return SnapshotInfo(name: row["name"], fingerprint: row["fingerprint"], members: row["members"],
                            createdAt: row["created_at"], message: row["message"], labels: labels)
    }

    /// One snapshot.
    public func snapshot(_ name: String) throws -> SnapshotInfo {
        try pool.read { db in try Store.snapshotInfo(db, name: name) }
    }

    /// Every snapshot, oldest first.
    public func snapshots() throws -> [SnapshotInfo] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM snapshots ORDER BY id").map { try Store.snapshotInfo(db, name: $0) }
        }
    }

    /// Recomputes a snapshot's fingerprint from its members; returns (stored, recomputed).
    public func verifySnapshot(_ name: String) throws -> (stored: String, recomputed: String, members: Int) {
        try pool.read { db in
            let row = try Store.snapshotRow(db, name: name)
            let pass = try Store.memberPass(db, snapshot: row["id"], watermark: row["scene_watermark"])
            return (row["fingerprint"], pass.fingerprint, pass.members)
        }
    }

    /// What changed from snapshot `a` to snapshot `b`.
    public func diffSnapshots(_ a: String, _ b: String, limit: Int?) throws -> SnapshotDiff {
        try pool.read { db in
            let ra = try Store.snapshotRow(db, name: a), rb = try Store.snapshotRow(db, name: b)
            let ma = try Store.members(db, snapshot: ra["id"], watermark: ra["scene_watermark"])
            let mb = try Store.members(db, snapshot: rb["id"], watermark: rb["scene_watermark"])
            let byA = Dictionary(uniqueKeysWithValues: ma.map { ($0.sampleID, $0) })
            let byB = Dictionary(uniqueKeysWithValues: mb.map { ($0.sampleID, $0) })
            var lists: [String: [String]] = ["added": [], "removed": [], "content_changed": [], "relabeled": [], "reannotated": []]
            for m in mb where byA[m.sampleID] == nil { lists["added"]!.append(m.uid) }
            for m in ma where byB[m.sampleID] == nil { lists["removed"]!.append(m.uid) }
            for m in mb {
                guard let old = byA[m.sampleID] else { continue }
                if old.hash != m.hash { lists["content_changed"]!.append(m.uid) }
                if old.label != m.label { lists["relabeled"]!.append(m.uid) }
                if old.scenes != m.scenes { lists["reannotated"]!.append(m.uid) }
            }
            return SnapshotDiff(from: a, to: b, added: lists["added"]!.count, removed: lists["removed"]!.count,
                                contentChanged: lists["content_changed"]!.count, relabeled: lists["relabeled"]!.count,
                                reannotated: lists["reannotated"]!.count,
                                uids: limit.map { n in lists.mapValues { Array($0.sorted().prefix(n)) } })
        }
    }
}

/// Figures frozen with a snapshot, so exports describe it as it was made.
public struct SnapshotMetrics: Codable, Sendable {
    /// Label names in index order.
    public var labels: [String]
    public var labelCounts: [String: Int]
    public var classWeights: Balance.Weights
    public var coverage: [CoverageReport]
    /// Per detector, flags on the members: open, confirmed, dismissed.
    public var flags: [String: [String: Int]]
    /// Decisions on the members by action.
    public var review: [String: Int]

    enum CodingKeys: String, CodingKey {
        case labels, coverage, flags, review
        case labelCounts = "label_counts"
        case classWeights = "class_weights"
    }
}

extension Store {
    /// The figures frozen with a snapshot, from its member rows (SQL group-bys) and the
    /// scene combinations counted by the member pass.
    static func snapshotMetrics(_ db: Database, snapshot: Int64, pass: MemberPass) throws -> (json: String, labels: [String: Int]) {
        var labelCounts: [String: Int] = [:]
        for (label, n) in pass.labels { labelCounts[String(decoding: label, as: UTF8.self), default: 0] += n }
        let order = try Store.labelOrder(db, labelCounts.keys)
        let weights = Balance.weights(order.map { labelCounts[$0] ?? 0 })
        let taxonomy = try Store.taxonomy(db)
        var dims: [String: [String: Int]] = [:]
        var annotated: [String: Int] = [:]
        for (number, n) in pass.sceneCombinations.enumerated() where n > 0 {
            for (d, c) in pass.combinations[number].pairs { dims[d, default: [:]][c, default: 0] += n; annotated[d, default: 0] += n }
        }
        var names = taxonomy.dimensions.map(\.name)
        for d in dims.keys.sorted() where !names.contains(d) { names.append(d) }
        let coverage = names.map { name in
            Coverage.report(dimension: name,
                            categories: taxonomy.dimensions.first { $0.name == name }?.categories.map {
                                Coverage.Spec(name: $0.name, target: $0.target, weight: $0.weight) } ?? [],
                            counts: dims[name] ?? [:], unannotated: pass.members - (annotated[name] ?? 0))
        }
        var flags: [String: [String: Int]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT f.detector, f.status, count(*) FROM flags f JOIN snapshot_members m ON m.sample_id = f.sample_id
            WHERE m.snapshot_id = ? GROUP BY f.detector, f.status
            """, arguments: [snapshot]) {
            flags[row[0], default: ["open": 0, "confirmed": 0, "dismissed": 0]][row[1] as String] = row[2]
        }
        var review: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT d.action, count(*) FROM decisions d JOIN snapshot_members m ON m.sample_id = d.sample_id
            WHERE m.snapshot_id = ? AND d.undone_at IS NULL GROUP BY d.action
            """, arguments: [snapshot]) {
            review[row[0]] = row[1]
        }
        let metrics = SnapshotMetrics(labels: order, labelCounts: labelCounts, classWeights: weights, coverage: coverage,
                                      flags: flags, review: review)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (String(decoding: try encoder.encode(metrics), as: UTF8.self), labelCounts)
    }
}

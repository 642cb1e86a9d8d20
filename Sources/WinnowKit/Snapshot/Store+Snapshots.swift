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
    /// Leave out augmented samples (`--exclude-augmented`).
    public var excludeAugmented = false
    public init() {}

    var json: String {
        var pairs: [(String, String)] = [("exclude_flagged", excludeFlagged == nil ? "false" : "true")]
        if let excludeFlagged {
            pairs.append(("exclude_detectors", jsonArray(excludeFlagged.detectors)))
            if let minScore = excludeFlagged.minScore { pairs.append(("exclude_min_score", jsonNumber(minScore))) }
        }
        pairs += filter.jsonPairs
        if excludeAugmented { pairs.append(("exclude_augmented", "true")) }
        return jsonObject(pairs)
    }

    /// Its label, scene and source filters.
    var filter: SelectionFilter { SelectionFilter(label: label, scene: scene, source: source) }
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
            if try SnapshotRecord.filter(SnapshotRecord.Columns.name == name).fetchCount(db) > 0 {
                throw WinnowError.alreadyExists("snapshot '\(name)' exists already and never changes; choose another name (snapshots are immutable)")
            }
            let (conditions, excluded) = try Store.snapshotConditions(db, selection)
            let watermark = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM scene_annotations") ?? 0
            let snapshotID = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM snapshots") ?? 0)
            let added = try Store.insertMembers(db, snapshot: snapshotID, conditions: conditions, byLabel: selection.label != nil)
            // An empty snapshot would stay forever (snapshots are immutable): refuse it.
            if added == 0 { throw WinnowError.emptySnapshot(name: name, leftOut: excluded?.excluded ?? 0) }
            // --group near-duplicate / semantic-duplicate split by these
            for grouping in SplitGrouping.allCases { try NearDuplicateClusters.freeze(db, snapshot: snapshotID, detector: grouping.rawValue) }
            Faults.point("snapshot")
            let pass = try Store.memberPass(db, snapshot: snapshotID, watermark: watermark)
            let (metrics, labels) = try Store.snapshotMetrics(db, snapshot: snapshotID, pass: pass)
            Faults.point("snapshot")
            let snapshot = SnapshotRecord(
                id: snapshotID, name: name, message: message, createdAt: Timestamp.string(clock.now()),
                fingerprint: pass.fingerprint, members: Int64(pass.members), selection: selection.json,
                sceneWatermark: watermark, metrics: metrics)
            try snapshot.insert(db)
            return SnapshotInfo(
                name: name, fingerprint: pass.fingerprint, members: pass.members, createdAt: snapshot.createdAt,
                message: message, labels: labels, excluded: excluded)
        }
    }

    /// The WHERE a snapshot's members meet (checked against the store first), and what
    /// `--exclude-flagged` leaves out.
    static func snapshotConditions(
        _ db: Database, _ selection: SnapshotSelection
    ) throws
        -> (conditions: SampleConditions, excluded: ExclusionReport?)
    {
        try selection.filter.check(db, detectors: selection.excludeFlagged.map { [($0.detectors, "--exclude-flagged")] } ?? [])
        var conditions = SampleConditions()
        conditions.filter(selection.filter)
        if selection.excludeAugmented { conditions.origin(.import) }
        let excluded = try selection.excludeFlagged.map { try conditions.excludeFlagged(db, $0) }
        return (conditions, excluded)
    }

    /// Copies the selected samples with their current revision into `snapshot_members`, in one
    /// INSERT…SELECT; returns how many. The snapshot's row goes in after them (it needs their
    /// fingerprint): the foreign key to snapshots is checked at commit. The current revision is
    /// joined only for a label filter (the only condition on it): a faster copy of a large store.
    static func insertMembers(_ db: Database, snapshot: Int64, conditions: SampleConditions, byLabel: Bool) throws -> Int {
        try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
        try db.execute(
            sql: """
                INSERT INTO snapshot_members (snapshot_id, sample_id, revision_id)
                SELECT \(snapshot), s.id, s.revision_id FROM samples s\(byLabel ? " " + CurrentRevision.join : "")
                WHERE \(conditions.sql) ORDER BY s.id
                """, arguments: conditions.arguments)
        return db.changesCount
    }

    /// Counts, per label and per detector, the samples `conditions` selects that `exclusion`
    /// leaves out (samples `s` joined with their current revision `r`).
    static func exclusionReport(
        _ db: Database, _ exclusion: FlagSelection, conditions: [String],
        arguments: StatementArguments
    ) throws -> ExclusionReport {
        let flag = exclusion.condition()
        let whereClause = conditions.joined(separator: " AND ")
        var labels: [String?: ExclusionReport.Label] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT r.label, count(*) AS selected,
                       sum(EXISTS (SELECT 1 FROM flags f WHERE f.sample_id = s.id AND f.status = '\(FlagStatus.open.rawValue)' AND \(flag.sql))) AS excluded
                FROM samples s \(CurrentRevision.join) WHERE \(whereClause) GROUP BY r.label
                """, arguments: flag.arguments + arguments)
        {
            let label: String? = try row.value("label")
            let selected: Int = try row.value("selected"), excluded: Int = try row.value("excluded", as: Int?.self) ?? 0
            labels[label] = ExclusionReport.Label(
                label: label, selected: selected, excluded: excluded,
                share: selected > 0 ? Double(excluded) / Double(selected) : 0, byDetector: [:])
        }
        var byDetector: [String: Int] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT r.label, f.detector, count(DISTINCT s.id) AS n
                FROM samples s \(CurrentRevision.join) JOIN flags f ON f.sample_id = s.id AND f.status = '\(FlagStatus.open.rawValue)' AND \(flag.sql)
                WHERE \(whereClause) GROUP BY r.label, f.detector
                """, arguments: flag.arguments + arguments)
        {
            let label: String? = try row.value("label"), detector: String = try row.value("detector"), n: Int = try row.value("n")
            labels[label]?.byDetector[detector] = n
            byDetector[detector, default: 0] += n
        }
        let sorted = labels.values.sorted { ($0.label ?? "\u{10FFFF}") < ($1.label ?? "\u{10FFFF}") }
        return ExclusionReport(
            detectors: exclusion.detectors, minScore: exclusion.minScore,
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
    private(set) var combinations: [Combination] = [Combination(pairs: [], text: [])] // 0: no scenes
    private var combinationOf: [Int32] = [] // by sample id; 0 when the sample has none
    private var index: [String: Int32] = ["": 0]

    init(_ db: Database, watermark: Int64) throws {
        var bySample: [Int64: [(String, String)]] = [:] // annotations replaced since the watermark
        let replaced = try Row.fetchCursor(
            db,
            sql: """
                SELECT sample_id, dimension, category FROM scene_annotations WHERE id <= ? AND replaced_by > ?
                """, arguments: [watermark, watermark])
        while let row = try replaced.next() {
            bySample[try row.value("sample_id", as: Int64.self), default: []].append((try row.value("dimension"), try row.value("category")))
        }
        // The current annotations, in (sample, dimension) order from their unique index.
        let statement = try db.makeStatement(
            sql: """
                SELECT sample_id, dimension, category FROM scene_annotations INDEXED BY scene_annotations_current
                WHERE replaced_by IS NULL AND id <= ? ORDER BY sample_id, dimension
                """)
        try statement.setArguments([watermark])
        let raw = RawStatement(statement)
        var sample: Int64 = -1
        var pairs: [(String, String)] = []
        func finish() {
            guard sample >= 0 else { return }
            if let old = bySample.removeValue(forKey: sample) { pairs += old; pairs.sort { $0.0 < $1.0 } }
            set(sample, pairs)
        }
        while try raw.step() {
            let id = raw.int64(0)
            if id != sample { finish(); sample = id; pairs.removeAll(keepingCapacity: true) }
            pairs.append((raw.text(1) ?? "", raw.text(2) ?? ""))
        }
        finish()
        for (id, old) in bySample { set(id, old.sorted { $0.0 < $1.0 }) }
    }

    private mutating func set(_ sample: Int64, _ pairs: [(String, String)]) {
        guard sample >= 0, sample < Int64(Int32.max) else { return }
        let key = pairs.map { "\($0.0)\u{1E}\($0.1)" }.joined(separator: "\u{1F}")
        let number: Int32
        if let n = index[key] {
            number = n
        } else {
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
        let statement = try db.makeStatement(
            sql: """
                SELECT m.sample_id, s.uid, c.hash, r.label FROM snapshot_members m JOIN samples s ON s.id = m.sample_id
                \(Store.frozenRevisionWithContent) WHERE m.snapshot_id = ? ORDER BY s.uid
                """)
        try statement.setArguments([snapshot])
        let raw = RawStatement(statement)
        let stmt = raw.handle
        var hasher = SHA256()
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 21)
        var count = 0
        var perCombination = [Int](repeating: 0, count: reader.combinations.count)
        var labels: [[UInt8]: Int] = [:]
        var lastLabel: [UInt8]? = nil, lastLabelCount = 0 // runs of one label are counted without hashing
        let hexDigits = Array("0123456789abcdef".utf8)
        while try raw.step() {
            count += 1
            let combination = reader.combination(raw.int64(0))
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
                if let last = lastLabel, label.elementsEqual(last) {
                    lastLabelCount += 1
                } else {
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
        return MemberPass(
            fingerprint: ContentHash.hex(Array(hasher.finalize())), members: count,
            sceneCombinations: perCombination, combinations: reader.combinations, labels: labels)
    }

    /// Memory-mapped reads for the long member scans (fewer read calls on a large store).
    static let scanMapSize: Int64 = 1 << 31

    /// The join from a snapshot member (`m`) to its frozen revision (`r`) and content (`c`):
    /// a member's label and text are those of the revision it froze, not the sample's current one.
    static let frozenRevisionWithContent = "JOIN revisions r ON r.id = m.revision_id JOIN contents c ON c.id = r.content_id"

    /// A snapshot's members as stored: each sample's frozen revision and the scenes in force then.
    static func members(_ db: Database, snapshot: SnapshotRecord) throws -> [SnapshotMember] {
        let reader = try SceneReader(db, watermark: snapshot.sceneWatermark)
        return try Row.fetchAll(
            db,
            sql: """
                SELECT m.sample_id, s.uid, c.hash, r.label FROM snapshot_members m JOIN samples s ON s.id = m.sample_id
                \(frozenRevisionWithContent) WHERE m.snapshot_id = ? ORDER BY m.sample_id
                """, arguments: [snapshot.id]
        ).map { row in
            let id: Int64 = try row.value("sample_id")
            return SnapshotMember(
                sampleID: id, uid: try row.value("uid"), hash: [UInt8](try row.value("hash", as: Data.self)),
                label: try row.value("label"),
                scenes: String(decoding: reader.combinations[reader.combination(id)].text, as: UTF8.self))
        }
    }

    /// The snapshot `name`, or `.notFound` naming the snapshots there are.
    static func snapshotRecord(_ db: Database, name: String) throws -> SnapshotRecord {
        guard let snapshot = try SnapshotRecord.filter(SnapshotRecord.Columns.name == name).fetchOne(db) else {
            let names = try String.fetchAll(db, sql: "SELECT name FROM snapshots ORDER BY id")
            throw WinnowError.notFound("no snapshot '\(name)'; snapshots: \(names.isEmpty ? "none (make one with `winnow snapshot create NAME`)" : names.joined(separator: ", "))")
        }
        return snapshot
    }

    static func snapshotInfo(_ db: Database, name: String) throws -> SnapshotInfo {
        let snapshot = try snapshotRecord(db, name: name)
        var labels: [String: Int] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT r.label, count(*) AS n FROM snapshot_members m JOIN revisions r ON r.id = m.revision_id
                WHERE m.snapshot_id = ? AND r.label IS NOT NULL GROUP BY r.label
                """, arguments: [snapshot.id])
        {
            labels[try row.value("label")] = try row.value("n", as: Int.self)
        }
        return SnapshotInfo(
            name: snapshot.name, fingerprint: snapshot.fingerprint, members: Int(snapshot.members),
            createdAt: snapshot.createdAt, message: snapshot.message, labels: labels)
    }

    /// One snapshot.
    public func snapshot(_ name: String) throws -> SnapshotInfo {
        try read { db in try Store.snapshotInfo(db, name: name) }
    }

    /// Every snapshot, oldest first.
    public func snapshots() throws -> [SnapshotInfo] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT name FROM snapshots ORDER BY id").map { try Store.snapshotInfo(db, name: $0) }
        }
    }

    /// The snapshots' names, oldest first: what a menu of snapshots lists, without the label
    /// counts `snapshots()` gathers (a group-by over each snapshot's members, seconds at 1M).
    public func snapshotNames() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT name FROM snapshots ORDER BY id") }
    }

    /// Recomputes a snapshot's fingerprint from its members; returns (stored, recomputed).
    public func verifySnapshot(_ name: String) throws -> (stored: String, recomputed: String, members: Int) {
        try read { db in
            let snapshot = try Store.snapshotRecord(db, name: name)
            let pass = try Store.memberPass(db, snapshot: snapshot.id ?? 0, watermark: snapshot.sceneWatermark)
            return (snapshot.fingerprint, pass.fingerprint, pass.members)
        }
    }

    /// What changed from snapshot `a` to snapshot `b`.
    public func diffSnapshots(_ a: String, _ b: String, limit: Int?) throws -> SnapshotDiff {
        try read { db in
            let from = try Store.members(db, snapshot: try Store.snapshotRecord(db, name: a))
            let to = try Store.members(db, snapshot: try Store.snapshotRecord(db, name: b))
            return SnapshotDiff(from: a, to: b, old: from, new: to, limit: limit)
        }
    }
}

extension SnapshotDiff {
    /// The diff of two snapshots' members, matched by sample: added and removed samples, and
    /// of those in both, whose content, label or scenes changed. `limit`: up to that many uids
    /// of each list, sorted (nil: counts only).
    init(from: String, to: String, old: [SnapshotMember], new: [SnapshotMember], limit: Int?) {
        let byOld = Dictionary(uniqueKeysWithValues: old.map { ($0.sampleID, $0) })
        let newIDs = Set(new.map(\.sampleID))
        var added: [String] = [], removed: [String] = [], contentChanged: [String] = [], relabeled: [String] = [], reannotated: [String] = []
        for m in new {
            guard let was = byOld[m.sampleID] else { added.append(m.uid); continue }
            if was.hash != m.hash { contentChanged.append(m.uid) }
            if was.label != m.label { relabeled.append(m.uid) }
            if was.scenes != m.scenes { reannotated.append(m.uid) }
        }
        for m in old where !newIDs.contains(m.sampleID) { removed.append(m.uid) }
        let lists = [
            "added": added, "removed": removed, "content_changed": contentChanged, "relabeled": relabeled,
            "reannotated": reannotated,
        ]
        self.init(
            from: from, to: to, added: added.count, removed: removed.count, contentChanged: contentChanged.count,
            relabeled: relabeled.count, reannotated: reannotated.count,
            uids: limit.map { n in lists.mapValues { Array($0.sorted().prefix(n)) } })
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
        let metrics = SnapshotMetrics(
            labels: order, labelCounts: labelCounts, classWeights: Balance.weights(order.map { labelCounts[$0] ?? 0 }),
            coverage: try frozenCoverage(db, pass: pass), flags: try memberFlags(db, snapshot: snapshot),
            review: try memberDecisions(db, snapshot: snapshot))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (String(decoding: try encoder.encode(metrics), as: UTF8.self), labelCounts)
    }

    /// The members' coverage per dimension — the taxonomy's, then others their scenes carry —
    /// from the scene combinations the member pass counted.
    static func frozenCoverage(_ db: Database, pass: MemberPass) throws -> [CoverageReport] {
        let taxonomy = try Store.taxonomy(db)
        var dims: [String: [String: Int]] = [:]
        var annotated: [String: Int] = [:]
        for (number, n) in pass.sceneCombinations.enumerated() where n > 0 {
            for (d, c) in pass.combinations[number].pairs { dims[d, default: [:]][c, default: 0] += n; annotated[d, default: 0] += n }
        }
        return taxonomy.dimensionNames(with: dims).map { name in
            Coverage.report(
                dimension: name, categories: taxonomy.coverageSpecs(of: name),
                counts: dims[name] ?? [:], unannotated: pass.members - (annotated[name] ?? 0))
        }
    }

    /// Per detector, the members' flags by status (every status present, 0 when none).
    static func memberFlags(_ db: Database, snapshot: Int64) throws -> [String: [String: Int]] {
        var flags: [String: [String: Int]] = [:]
        let noFlags = Dictionary(uniqueKeysWithValues: FlagStatus.allCases.map { ($0.rawValue, 0) })
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT f.detector, f.status, count(*) AS n FROM flags f JOIN snapshot_members m ON m.sample_id = f.sample_id
                WHERE m.snapshot_id = ? GROUP BY f.detector, f.status
                """, arguments: [snapshot])
        {
            flags[try row.value("detector"), default: noFlags][try row.value("status", as: String.self)] = try row.value("n", as: Int.self)
        }
        return flags
    }

    /// The members' live decisions by action.
    static func memberDecisions(_ db: Database, snapshot: Int64) throws -> [String: Int] {
        var review: [String: Int] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT d.action, count(*) AS n FROM decisions d JOIN snapshot_members m ON m.sample_id = d.sample_id
                WHERE m.snapshot_id = ? AND d.undone_at IS NULL GROUP BY d.action
                """, arguments: [snapshot])
        {
            review[try row.value("action")] = try row.value("n", as: Int.self)
        }
        return review
    }
}

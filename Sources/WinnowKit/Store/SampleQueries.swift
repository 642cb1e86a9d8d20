import Foundation
import GRDB
import GRDBSQLite

/// Filters of `winnow samples`; every value is bound, never spliced into SQL.
public struct SampleFilter: Sendable {
    public var label: String?
    public var scene: (dimension: String, category: String)?
    public var flagDetector: String?
    public var status: String?
    public var source: String?
    public var kind: SampleKind?
    /// Only imported samples, or only augmented ones (`--origin`).
    public var origin: SampleOrigin?
    /// Only samples whose current text matches these words (`FullTextQuery`).
    public var search: String?
    /// Only samples with an open flag (of `flagDetector`, when given) scoring at least / at most this.
    public var minScore: Double?
    public var maxScore: Double?
    /// Only these samples (by uid).
    public var uids: [String]?
    public var limit: Int?
    public var offset: Int = 0
    public init() {}
}

/// One line of `winnow samples`.
public struct SampleSummary: Codable, Sendable, Equatable {
    public var uid: String
    public var kind: String
    @NullEncodable public var label: String?
    public var status: String
    public var scenes: [String: String]
    public var text: String
}

/// A sample whole, for `winnow show`.
public struct SampleDetail: Codable, Sendable {
    public struct Revision: Codable, Sendable {
        public var id: Int64
        public var label: String?
        public var score: Double?
        public var origin: String
        public var contentHash: String
        public var createdAt: String
        enum CodingKeys: String, CodingKey {
            case id, label, score, origin
            case contentHash = "content_hash"
            case createdAt = "created_at"
        }
    }
    public struct Occurrence: Codable, Sendable {
        public var source: String
        public var line: Int
        public var recordId: String?
        public var label: String?
        enum CodingKeys: String, CodingKey {
            case source, line, label
            case recordId = "record_id"
        }
    }
    public struct Scene: Codable, Sendable {
        public var dimension: String
        public var category: String
        public var origin: String
        public var current: Bool
        public var createdAt: String
        enum CodingKeys: String, CodingKey {
            case dimension, category, origin, current
            case createdAt = "created_at"
        }
    }
    public struct Flag: Codable, Sendable {
        public var detector: String
        public var score: Double
        public var reason: String
        public var status: String
        /// The detector's details as a JSON object.
        public var details: JSONValue
    }
    public struct Decision: Codable, Sendable {
        public var reviewer: String
        public var action: String
        public var label: String?
        public var note: String?
        public var createdAt: String
        public var undone: Bool
        enum CodingKeys: String, CodingKey {
            case reviewer, action, label, note, undone
            case createdAt = "created_at"
        }
    }

    public var uid: String
    public var kind: String
    public var status: String
    @NullEncodable public var label: String?
    @NullEncodable public var score: Double?
    public var contentHash: String
    public var content: [String: String]
    @NullEncodable public var meta: String?
    public var revisions: [Revision]
    public var occurrences: [Occurrence]
    public var scenes: [Scene]
    public var flags: [Flag]
    public var decisions: [Decision]
    /// `import`, or `augmented` for a sample `winnow augment` made.
    public var origin: SampleOrigin = .import
    /// An augmented sample's provenance: parent, operations, run (nil for an imported one).
    @NullEncodable public var augmentation: AugmentProvenance? = nil
    /// The record id asked for when it is not this sample's uid but the id of one of its
    /// occurrences (a duplicate merged into this sample); nil when asked by uid.
    public var resolvedFrom: String?

    enum CodingKeys: String, CodingKey {
        case uid, kind, status, label, score, content, meta, revisions, occurrences, scenes, flags, decisions, origin, augmentation
        case contentHash = "content_hash"
        case resolvedFrom = "resolved_from"
    }
}

extension SampleFilter {
    /// Its SQL conditions (over `samples s` joined to its current revision `r`), every value
    /// bound, after refusing names the store does not know (`Store.checkSelection`) and a search
    /// with no word in it. A search reads the full-text index as it stands: bring it up to
    /// date first (`Store.updateContentSearch`).
    func conditions(_ db: Database) throws -> (conditions: [String], arguments: StatementArguments) {
        try Store.checkSelection(db, label: label, scene: scene, source: source)
        if let flagDetector { try Store.checkDetectors(db, [flagDetector], option: "--flag") }
        var (conditions, arguments) = Store.selectionConditions(label: label, scene: scene, source: source)
        var driven = label != nil || scene != nil
        if let status {
            conditions.append("s.status = ?"); arguments += [status]
        }
        if let kind {
            conditions.append("s.kind = ?"); arguments += [kind.rawValue]
        }
        if let origin {
            var only = SampleConditions()
            only.origin(origin)
            conditions.append(only.conditions.last!)
        }
        if flagDetector != nil || minScore != nil || maxScore != nil {
            // From the flags (by detector, its index) to the samples, not a probe per sample.
            var flag = ["f.status = '\(FlagStatus.open.rawValue)'"]
            if let flagDetector { flag.append("f.detector = ?"); arguments += [flagDetector] }
            if let minScore { flag.append("f.score >= ?"); arguments += [minScore] }
            if let maxScore { flag.append("f.score <= ?"); arguments += [maxScore] }
            conditions.append("\(Store.drives(!driven))s.id IN (SELECT f.sample_id FROM flags f WHERE \(flag.joined(separator: " AND ")))")
            driven = true
        }
        if let search {
            guard let match = FullTextQuery.match(search) else {
                throw WinnowError.invalidArgument("--search \(JSONText.quote(search)) has no word to search for; give words, \"a phrase\" or a prefix*")
            }
            let condition = Store.searchCondition(match, drives: !driven)
            conditions.append(condition.sql); arguments += condition.arguments
            driven = true
        }
        if let uids {
            conditions.append("s.uid IN (SELECT value FROM json_each(?))")
            arguments += [jsonArray(uids)]
        }
        return (conditions, arguments)
    }

    /// Its filters as the pairs of a stored `selection` JSON (a bulk decision's, a queue's).
    var jsonPairs: [(String, String)] {
        var pairs = SelectionFilter(label: label, scene: scene, source: source).jsonPairs
        if let flagDetector { pairs.append(("flag", JSONText.quote(flagDetector))) }
        if let minScore { pairs.append(("min_score", jsonNumber(minScore))) }
        if let maxScore { pairs.append(("max_score", jsonNumber(maxScore))) }
        if let status { pairs.append(("status", JSONText.quote(status))) }
        if let kind { pairs.append(("kind", JSONText.quote(kind.rawValue))) }
        if let origin { pairs.append(("origin", JSONText.quote(origin.rawValue))) }
        if let search { pairs.append(("search", JSONText.quote(search))) }
        if let uids { pairs.append(("uids", jsonArray(uids))) }
        return pairs
    }
}

extension Store {
    /// SQL conditions (over `samples s` joined to its current revision `r`) for the filters
    /// samples, queues and snapshots share; every value is bound.
    static func selectionConditions(
        label: String?, scene: (dimension: String, category: String)?,
        source: String?
    ) -> (conditions: [String], arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let label { conditions.append("r.label = ?"); arguments += [label] }
        if let scene {
            // From the partial index of current annotations to the samples, not a probe per
            // sample; but not as a constraint on the samples' index beside a label's (`+`, see
            // `Store.drives`).
            conditions.append(
                """
                \(Store.drives(label == nil))s.id IN (SELECT a.sample_id FROM scene_annotations a WHERE a.replaced_by IS NULL
                         AND a.dimension = ? AND a.category = ?)
                """)
            arguments += [scene.dimension, scene.category]
        }
        if let source {
            conditions.append(
                """
                EXISTS (SELECT 1 FROM occurrences o JOIN sources src ON src.id = o.source_id
                        WHERE o.sample_id = s.id AND (src.name = ? OR src.path = ? OR CAST(src.id AS TEXT) = ?))
                """)
            arguments += [source, source, source]
        }
        return (conditions, arguments)
    }

    /// The prefix of an `s.id IN (subquery)` condition: none for the first one a selection has,
    /// whose list may then drive the query (rowid lookups from it); `+` for the others, and
    /// for any beside a label (which drives from its index). Without table statistics SQLite
    /// otherwise takes a second IN list as a constraint on the same index as the first
    /// (`samples_by_revision (revision_id=? AND rowid=?)`), probing every element of it for
    /// every row the first yields: a label and a scene at 1M samples ran for minutes.
    static func drives(_ first: Bool) -> String { first ? "" : "+" }

    /// Refuses a selection that names a label, scene dimension, scene category or source the
    /// store does not know, listing the known ones: a typo must fail, not select nothing.
    /// Known: a label of the taxonomy or of some sample's current revision; a dimension or
    /// category of the taxonomy or of some sample's scenes; a source by name, path or id.
    static func checkSelection(
        _ db: Database, label: String?, scene: (dimension: String, category: String)?,
        source: String?
    ) throws {
        if let label, try !isKnownLabel(db, label) {
            throw WinnowError.unknownName(
                kind: "label", name: label, known: try knownLabels(db),
                hint: "labels are case-sensitive; see `winnow stats`")
        }
        if let scene {
            let dimensions = try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM dimensions UNION SELECT dimension FROM scene_counts ORDER BY 1
                    """)
            guard dimensions.contains(scene.dimension) else {
                throw WinnowError.unknownName(
                    kind: "scene dimension", name: scene.dimension, known: dimensions,
                    hint: "--scene takes DIM=CAT; see `winnow coverage`")
            }
            let categories = try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM categories WHERE dimension = ? UNION SELECT category FROM scene_counts WHERE dimension = ? ORDER BY 1
                    """, arguments: [scene.dimension, scene.dimension])
            guard categories.contains(scene.category) else {
                throw WinnowError.unknownName(
                    kind: "category of \(scene.dimension)", name: scene.category, known: categories,
                    hint: "see `winnow coverage --dimension \(scene.dimension)`")
            }
        }
        if let source,
            try
                !(Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM sources WHERE name = ? OR path = ? OR CAST(id AS TEXT) = ?)
                        """, arguments: [source, source, source]) ?? false)
        {
            let names = try String.fetchAll(db, sql: "SELECT DISTINCT name FROM sources ORDER BY id")
            throw WinnowError.unknownName(
                kind: "source", name: source, known: names,
                hint: "a source is named by file name, path or source id")
        }
    }

    /// Whether `label` is known (as `knownLabels` has it), without reading every sample's label:
    /// the scan stops at the first sample that has it.
    static func isKnownLabel(_ db: Database, _ label: String, kind: String? = nil) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM labels WHERE name = ?)
                    OR EXISTS (SELECT 1 FROM samples s \(CurrentRevision.join)
                               WHERE r.label = ? AND (? IS NULL OR s.kind = ?))
                """, arguments: [label, label, kind, kind]) ?? false
    }

    /// The labels the store knows: the taxonomy's in its order, then those of samples' current
    /// revisions by name (of one kind when `kind` is given).
    /// A skip scan of `revisions_by_label`: one seek per distinct label of any revision, then
    /// whether a current revision (of the kind) has it — not a read of every sample, which took
    /// 0.4 s at 1M samples for each focus view's relabel menu.
    static func knownLabels(_ db: Database, kind: String? = nil) throws -> [String] {
        var seen: [String] = []
        var label = try String.fetchOne(db, sql: "SELECT min(label) FROM revisions WHERE label IS NOT NULL")
        while let current = label {
            let isCurrent =
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM revisions r JOIN samples s ON s.revision_id = r.id
                                       WHERE r.label = ? AND (? IS NULL OR s.kind = ?))
                        """, arguments: [current, kind, kind]) ?? false
            if isCurrent { seen.append(current) }
            label = try String.fetchOne(db, sql: "SELECT min(label) FROM revisions WHERE label > ?", arguments: [current])
        }
        return try labelOrder(db, seen)
    }

    /// The label index order (SPEC §4): the taxonomy's labels in its order, then the other
    /// `labels` by name. The one place it is defined: stats, the figures frozen with a snapshot
    /// (and so an export's manifest and its hf card's ClassLabel) and review all take it here.
    static func labelOrder(_ db: Database, _ labels: some Sequence<String>) throws -> [String] {
        let fixed = try String.fetchAll(db, sql: "SELECT name FROM labels ORDER BY position")
        let listed = Set(fixed)
        return fixed + Set(labels).subtracting(listed).sorted()
    }

    /// Samples matching `filter`: the total count and, up to the limit, the samples in id order.
    public func samples(_ filter: SampleFilter) throws -> (count: Int, samples: [SampleSummary]) {
        var samples: [SampleSummary] = []
        let count = try eachSample(filter, count: { _ in }) { samples.append($0) }
        return (count, samples)
    }

    /// Streams the samples matching `filter` in id order, up to its limit, to `body`, one at a
    /// time (nothing is held), after handing `count` the number of matches before the limit.
    /// One read transaction: the count and the rows agree. Returns the count.
    @discardableResult
    public func eachSample(_ filter: SampleFilter, count: (Int) throws -> Void, _ body: (SampleSummary) throws -> Void) throws -> Int {
        if filter.search != nil { try updateContentSearch() }
        return try read { db in
            let (conditions, arguments) = try filter.conditions(db)
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples s \(CurrentRevision.join) \(whereClause)", arguments: arguments) ?? 0
            try count(total)
            try Store.eachSampleRow(db, whereClause, arguments, limit: filter.limit, offset: filter.offset, body)
            return total
        }
    }

    /// One page of the samples matching `filter` (its limit and offset), with the number of
    /// matches and how many of them are active, counted in one pass: the web review's browse page.
    public func samplePage(_ filter: SampleFilter) throws -> (count: Int, active: Int, samples: [SampleSummary]) {
        if filter.search != nil { try updateContentSearch() }
        return try read { db in
            let (conditions, arguments) = try filter.conditions(db)
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            // One pass gives the page's ids and both counts (window functions over all matches),
            // so the selection — a full-text match above all — is evaluated once, not twice.
            var pageArguments = arguments
            pageArguments += [filter.limit ?? -1, filter.offset]
            let page = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, count(*) OVER () AS total, sum(s.status = '\(SampleStatus.active.rawValue)') OVER () AS active
                    FROM samples s \(CurrentRevision.join) \(whereClause) ORDER BY s.id LIMIT ? OFFSET ?
                    """, arguments: pageArguments)
            var total = 0
            var active = 0
            if let first = page.first {
                total = try first.value("total")
                active = try first.value("active") ?? 0
            } else if filter.offset > 0 {
                // Past the last page: the counts alone.
                let counts = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) AS total, coalesce(sum(s.status = '\(SampleStatus.active.rawValue)'), 0) AS active
                        FROM samples s \(CurrentRevision.join) \(whereClause)
                        """, arguments: arguments)
                total = try counts?.value("total") ?? 0
                active = try counts?.value("active") ?? 0
            }
            var samples: [SampleSummary] = []
            if !page.isEmpty {
                let ids = try page.map { try $0.value("id", as: Int64.self) }
                try Store.eachSampleRow(
                    db, "WHERE s.id IN (SELECT value FROM json_each(?))", ["[" + ids.map(String.init).joined(separator: ",") + "]"], limit: nil,
                    offset: 0
                ) { samples.append($0) }
            }
            return (total, active, samples)
        }
    }

    /// The samples of a WHERE clause in id order, from `offset`, at most `limit` (nil: all).
    static func eachSampleRow(
        _ db: Database, _ whereClause: String, _ arguments: StatementArguments, limit: Int?, offset: Int, _ body: (SampleSummary) throws -> Void
    ) throws {
        var pageArguments = arguments
        pageArguments += [limit ?? -1, offset]
        // The page's ids first, then their columns: SQLite computes a row's columns before it
        // sorts, so with the columns in one query a page of a selection read through an index
        // (a label's) would read the content and scenes of every match.
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT s.id, s.uid, s.kind, s.status, r.label, \(ContentColumns.selectList()),
                       (SELECT json_group_object(a.dimension, a.category) FROM scene_annotations a
                         WHERE a.sample_id = s.id AND a.replaced_by IS NULL) AS scenes
                FROM (SELECT s.id AS page_id FROM samples s \(CurrentRevision.join) \(whereClause) ORDER BY s.id LIMIT ? OFFSET ?) page
                JOIN samples s ON s.id = page.page_id \(CurrentRevision.joinWithContent) ORDER BY s.id
                """, arguments: pageArguments)
        while let row = try rows.next() {
            try body(
                SampleSummary(
                    uid: try row.value("uid"), kind: try row.value("kind"), label: try row.value("label"),
                    status: try row.value("status"), scenes: Store.decodeStringMap(try row.value("scenes")),
                    text: try ContentColumns.content(row).plainText))
        }
    }

    /// One sample with its revisions, provenance, scenes, flags and decisions, found by its uid
    /// or else by the record id of any of its occurrences (a duplicate merged into it).
    public func sample(uid: String) throws -> SampleDetail {
        try read { db in
            let select = """
                SELECT s.id, s.uid, s.kind, s.status, s.meta, r.label, r.score, c.hash,
                       \(ContentColumns.selectList())
                FROM samples s \(CurrentRevision.joinWithContent)
                """
            var resolvedFrom: String?
            var found = try Row.fetchOne(db, sql: select + " WHERE s.uid = ?", arguments: [uid])
            if found == nil {
                let owners = try String.fetchAll(
                    db,
                    sql: """
                        SELECT DISTINCT s.uid FROM occurrences o JOIN samples s ON s.id = o.sample_id WHERE o.record_id = ? ORDER BY s.id
                        """, arguments: [uid])
                if owners.count > 1 {
                    throw WinnowError.invalidArgument(
                        "'\(uid)' is no sample's uid, and records with that id went into \(owners.count) samples (from different sources): \(owners.prefix(20).joined(separator: ", ")); show one of them by its uid"
                    )
                }
                if let owner = owners.first {
                    found = try Row.fetchOne(db, sql: select + " WHERE s.uid = ?", arguments: [owner])
                    resolvedFrom = uid
                }
            }
            guard let row = found else { throw WinnowError.unknownSample(uid: uid) }
            let id: Int64 = try row.value("id")
            let content = try ContentColumns.fields(row)
            let revisions = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.id, r.label, r.score, r.origin, r.created_at, c.hash FROM revisions r
                    JOIN contents c ON c.id = r.content_id WHERE r.sample_id = ? ORDER BY r.id
                    """, arguments: [id]
            ).map {
                SampleDetail.Revision(
                    id: try $0.value("id"), label: try $0.value("label"), score: try $0.value("score"),
                    origin: try $0.value("origin"), contentHash: ContentHash.hex([UInt8](try $0.value("hash", as: Data.self))),
                    createdAt: try $0.value("created_at"))
            }
            let occurrences = try Row.fetchAll(
                db,
                sql: """
                    SELECT src.path, o.line, o.record_id, o.label FROM occurrences o JOIN sources src ON src.id = o.source_id
                    WHERE o.sample_id = ? ORDER BY o.source_id, o.line
                    """, arguments: [id]
            ).map {
                SampleDetail.Occurrence(
                    source: try $0.value("path"), line: try $0.value("line"), recordId: try $0.value("record_id"),
                    label: try $0.value("label"))
            }
            let scenes = try Row.fetchAll(
                db,
                sql: """
                    SELECT dimension, category, origin, replaced_by IS NULL AS current, created_at FROM scene_annotations
                    WHERE sample_id = ? ORDER BY dimension, id
                    """, arguments: [id]
            ).map {
                SampleDetail.Scene(
                    dimension: try $0.value("dimension"), category: try $0.value("category"), origin: try $0.value("origin"),
                    current: try $0.value("current"), createdAt: try $0.value("created_at"))
            }
            let flags = try Row.fetchAll(
                db,
                sql: """
                    SELECT detector, score, reason, status, details FROM flags WHERE sample_id = ? ORDER BY id
                    """, arguments: [id]
            ).map {
                SampleDetail.Flag(
                    detector: try $0.value("detector"), score: try $0.value("score"), reason: try $0.value("reason"),
                    status: try $0.value("status"), details: JSONValue(parsing: try $0.value("details")))
            }
            let decisions = try Row.fetchAll(
                db,
                sql: """
                    SELECT reviewer, action, label, note, created_at, undone_at IS NOT NULL AS undone FROM decisions
                    WHERE sample_id = ? ORDER BY id
                    """, arguments: [id]
            ).map {
                SampleDetail.Decision(
                    reviewer: try $0.value("reviewer"), action: try $0.value("action"), label: try $0.value("label"),
                    note: try $0.value("note"), createdAt: try $0.value("created_at"), undone: try $0.value("undone"))
            }
            let augmentation = try Store.augmentProvenance(db, sampleID: id)
            return SampleDetail(
                uid: try row.value("uid"), kind: try row.value("kind"), status: try row.value("status"),
                label: try row.value("label"), score: try row.value("score"),
                contentHash: ContentHash.hex([UInt8](try row.value("hash", as: Data.self))), content: content,
                meta: try row.value("meta"),
                revisions: revisions, occurrences: occurrences, scenes: scenes, flags: flags, decisions: decisions,
                origin: augmentation == nil ? .import : .augmented, augmentation: augmentation,
                resolvedFrom: resolvedFrom)
        }
    }

    /// The content held in a row with the `contents` columns.
    /// A text column's bytes in the current row of a raw statement; nil for NULL. Valid until the next step.
    static func columnBytes(_ stmt: OpaquePointer, _ column: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard let p = sqlite3_column_text(stmt, column) else { return nil }
        return UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, column)))
    }

    static func decodeStringMap(_ json: String?) -> [String: String] {
        guard let json, let data = json.data(using: .utf8),
            let map = try? JSONDecoder().decode([String: String].self, from: data)
        else { return [:] }
        return map
    }
}

/// An open flag as a list of samples shows it: its detector and score.
public struct OpenFlag: Codable, Sendable, Equatable {
    public var detector: String
    public var score: Double
}

extension Store {
    /// The open flags of each of these samples (by uid), highest score first; a sample
    /// without one is absent.
    public func openFlags(uids: [String]) throws -> [String: [OpenFlag]] {
        try read { db in
            var out: [String: [OpenFlag]] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.uid, f.detector, f.score FROM samples s JOIN flags f ON f.sample_id = s.id
                    WHERE s.uid IN (SELECT value FROM json_each(?)) AND f.status = ? ORDER BY s.uid, f.score DESC, f.detector
                    """, arguments: [jsonArray(uids), FlagStatus.open])
            while let row = try rows.next() {
                out[try row.value("uid"), default: []].append(OpenFlag(detector: try row.value("detector"), score: try row.value("score")))
            }
            return out
        }
    }

    /// The names a browse form offers: the labels (in label order), the detectors with flags,
    /// and each scene dimension's categories as `DIM=CAT`.
    public func selectionChoices() throws -> (labels: [String], detectors: [String], scenes: [String]) {
        try read { db in
            let labels = try Store.knownLabels(db)
            // A skip scan of flags_by_detector (detector, status): one seek per detector.
            var detectors: [String] = []
            var detector = try String.fetchOne(db, sql: "SELECT min(detector) FROM flags")
            while let current = detector {
                detectors.append(current)
                detector = try String.fetchOne(db, sql: "SELECT min(detector) FROM flags WHERE detector > ?", arguments: [current])
            }
            let scenes = try String.fetchAll(
                db, sql: "SELECT dimension || '=' || category FROM scene_counts WHERE count > 0 ORDER BY dimension, category")
            return (labels, detectors, scenes)
        }
    }
}

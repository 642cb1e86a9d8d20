import Foundation
import GRDB

/// Where an export's members go, read but not yet saved: the scheme (nil when it is new)
/// and the split of each record, and the assignments to add.
struct SplitPlan {
    var schemeID: Int64?
    var settings: SplitSettings
    var splits: [String]
    var fresh: [(sample: Int64, split: String)]
    /// How many assignments the scheme held when the plan was read.
    var assigned: Int
    /// With --group: whether the clusters were those frozen with the snapshot (false: a
    /// snapshot from before migration 0006, or 0008 for semantic-duplicate, split by the flags
    /// as they are now).
    var clustersFrozen = true
    /// With --group near-duplicate: the snapshot was made before near-duplicate detection ran,
    /// so none were frozen with it though its members have near-duplicate flags now.
    var clustersFrozenBeforeDetection = false
}

extension Store {
    /// Split assignment for the records of `snapshot` under the scheme: one split per record, in
    /// the records' order. Samples already assigned keep their split; nothing is written.
    static func planSplits(_ db: Database, snapshot: Int64, records: [ExportMember], options: ExportOptions) throws -> SplitPlan {
        let scheme = try SplitSchemeRecord.filter(SplitSchemeRecord.Columns.name == options.scheme).fetchOne(db)
        var existing: [Int64: String] = [:]
        var settings = SplitSettings(options)
        if let scheme, let id = scheme.id {
            settings = try schemeSettings(scheme, options: options)
            let stored = try Row.fetchCursor(db, sql: "SELECT sample_id, split FROM split_assignments WHERE scheme_id = ?", arguments: [id])
            while let r = try stored.next() { existing[try r.decode(atIndex: 0)] = try r.decode(atIndex: 1) }
        }
        let clusters = try settings.group.map { try NearDuplicateClusters.of(snapshot: snapshot, grouping: $0, db) }
        let families = try AugmentedFamilies.of(records, db)
        let (groupOf, groupExisting) = groups(records, clusters: clusters?.clusterOf ?? [:], families: families, existing: existing)
        var (units, unitOf) = splitUnits(records, settings: settings, existing: existing, clusterOf: groupOf)
        // A family with a saved split (its parent's, else a member's, exported now or not) goes
        // there, before any near-duplicate the family is merged with.
        for u in units.indices { if let split = groupExisting[units[u].key] { units[u].existing = split } }
        let placed = Splits.assign(units, ratios: settings.ratios, seed: settings.seed)
        var plan = SplitPlan(
            schemeID: scheme?.id, settings: settings, splits: [], fresh: [], assigned: existing.count,
            clustersFrozen: clusters?.frozen ?? true,
            clustersFrozenBeforeDetection: clusters?.frozenBeforeDetection ?? false)
        plan.splits.reserveCapacity(records.count)
        for (i, record) in records.enumerated() {
            let split = existing[record.sampleID] ?? placed[unitOf[i]]
            plan.splits.append(split)
            if existing[record.sampleID] == nil { plan.fresh.append((record.sampleID, split)) }
        }
        return plan
    }

    /// The group key of every record that must share a split with others: its near-duplicate
    /// cluster (`c<representative>`, with --group near-duplicate), merged with its augmented
    /// family (the parent and every sample augmented from it) when they meet; a family outside
    /// any cluster is keyed by its root ancestor's uid (the smallest, in a store edited so that
    /// a family has several), the key the parent alone has, so adding children never moves a
    /// parent. Also, per group key, the family's saved split in the scheme: its root ancestor's,
    /// else the first of its members' (by sample id), whether exported now or not.
    static func groups(
        _ records: [ExportMember], clusters: [Int64: Int64], families: AugmentedFamilies, existing: [Int64: String]
    ) -> (groupOf: [Int64: String], existing: [String: String]) {
        guard !families.parentOf.isEmpty else { return (clusters.mapValues { "c\($0)" }, [:]) }
        // Union-find over sample ids: a child with its parent, a clustered sample with its representative.
        var root: [Int64: Int64] = [:]
        func find(_ x: Int64) -> Int64 {
            var x = x
            while let r = root[x], r != x { root[x] = root[r] ?? r; x = r }
            return x
        }
        func union(_ a: Int64, _ b: Int64) {
            let ra = find(a), rb = find(b)
            if ra != rb { root[max(ra, rb)] = min(ra, rb) }
        }
        let ids = Set(records.map(\.sampleID))
        for (sample, rep) in clusters where ids.contains(sample) { union(sample, rep) }
        // Sorted: a dictionary's order changes per process, and the keys must not.
        let links = families.parentOf.sorted { $0.key < $1.key }
        for (child, parent) in links { union(child, parent) }
        // Each component's key: its smallest cluster representative, else its root ancestor's uid.
        var clusterKey: [Int64: Int64] = [:]
        for (sample, rep) in clusters where ids.contains(sample) {
            let r = find(sample)
            clusterKey[r] = min(clusterKey[r] ?? rep, rep)
        }
        var parentKey: [Int64: String] = [:]
        var rootKey: [Int64: String] = [:]
        var rootOf: [Int64: Int64] = [:] // component → its root ancestor with the smallest uid
        for (_, parent) in links {
            let key = families.uid[parent] ?? "p\(parent)"
            let r = find(parent)
            parentKey[r] = min(parentKey[r] ?? key, key)
            if families.parentOf[parent] == nil, key <= rootKey[r] ?? key {
                rootKey[r] = key
                rootOf[r] = parent
            }
        }
        for (r, key) in rootKey { parentKey[r] = key } // a root ancestor first; the smallest parent uid in a cycle
        var groupOf: [Int64: String] = [:]
        for record in records {
            let r = find(record.sampleID)
            if let c = clusterKey[r] { groupOf[record.sampleID] = "c\(c)" } else if let p = parentKey[r] { groupOf[record.sampleID] = p }
        }
        // The family's saved split: its root's, else its first member's with one.
        var saved: [Int64: String] = [:]
        for (r, root) in rootOf { if let split = existing[root] { saved[r] = split } }
        for (child, parent) in links {
            let r = find(child)
            if saved[r] == nil, let split = existing[parent] ?? existing[child] { saved[r] = split }
        }
        var familySplit: [String: String] = [:]
        for record in records {
            if let key = groupOf[record.sampleID], let split = saved[find(record.sampleID)], familySplit[key] == nil { familySplit[key] = split }
        }
        return (groupOf, familySplit)
    }

    /// The units splitting places, and the unit of each record: a record alone, or with
    /// --group near-duplicate its whole cluster (`clusterOf`: sample -> cluster key). A unit's
    /// existing split is that of any member already assigned.
    static func splitUnits(
        _ records: [ExportMember], settings: SplitSettings, existing: [Int64: String],
        clusterOf: [Int64: String]
    ) -> (units: [Splits.Unit], unitOf: [Int]) {
        let dimension = settings.stratify.hasPrefix("scene.") ? String(settings.stratify.dropFirst(6)) : nil
        var units: [Splits.Unit] = []
        var unitOf = [Int](repeating: 0, count: records.count)
        var clusterUnit: [String: Int] = [:]
        for (i, record) in records.enumerated() {
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
            let stratum: String
            if settings.stratify == "label" {
                stratum = record.label ?? ""
            } else if let dimension {
                stratum = record.scenes.first { $0.0 == dimension }?.1 ?? ""
            } else {
                stratum = ""
            }
            unitOf[i] = units.count
            units.append(
                Splits.Unit(
                    key: clusterOf[record.sampleID] ?? record.uid, members: [record.sampleID],
                    stratum: stratum, existing: existingSplit))
        }
        return (units, unitOf)
    }

    /// The settings of a saved scheme: those the options give must be its own (else refused);
    /// those they leave out are taken from it.
    static func schemeSettings(_ stored: SplitSchemeRecord, options: ExportOptions) throws -> SplitSettings {
        guard let ratios = Splits.ratios(json: stored.ratios) else {
            throw WinnowError.invalidArgument("split scheme '\(options.scheme)' holds ratios Winnow cannot read (\(stored.ratios)); pass --scheme NEW for a new scheme")
        }
        var group: SplitGrouping?
        if let grouping = stored.grouping {
            guard let known = SplitGrouping(rawValue: grouping) else {
                throw WinnowError.invalidArgument(
                    "split scheme '\(options.scheme)' groups by '\(grouping)', which this Winnow does not know; pass --scheme NEW for a new scheme")
            }
            group = known
        }
        let saved = SplitSettings(
            ratios: ratios, stratify: stored.stratify ?? "label", group: group, seed: UInt64(bitPattern: stored.seed))
        let given = SplitSettings(options)
        let savedOptions = saved.commandLine, givenOptions = given.commandLine
        let isGiven = [options.split != nil || options.kfold != nil, options.stratify != nil, options.group != nil, options.seed != nil]
        var differing: [String] = []
        var settings = saved
        for i in savedOptions.indices {
            if !isGiven[i] { settings.reused.append(savedOptions[i]) } else if givenOptions[i] != savedOptions[i] { differing.append(givenOptions[i]) }
        }
        if !differing.isEmpty {
            throw WinnowError.invalidArgument(
                "split scheme '\(options.scheme)' was made with other settings (\(savedOptions.joined(separator: ", "))), not \(differing.joined(separator: ", ")); leave those options out to reuse the scheme's, or pass --scheme NEW for a new scheme"
            )
        }
        return settings
    }

    /// Saves a plan: the scheme if new, and its fresh assignments. false (nothing saved) when
    /// another export created the scheme or placed one of these samples elsewhere since the
    /// plan was read.
    func saveSplits(_ db: Database, _ plan: SplitPlan, options: ExportOptions) throws -> Bool {
        let current = try Int64.fetchOne(db, sql: "SELECT id FROM split_schemes WHERE name = ?", arguments: [options.scheme])
        guard current == plan.schemeID else { return false }
        let scheme: Int64
        if let id = current {
            scheme = id
            let count = try SplitAssignmentRecord.filter(SplitAssignmentRecord.Columns.schemeId == id).fetchCount(db)
            if count != plan.assigned {
                // Assignments were added meanwhile: ours must agree with them.
                let lookup = try db.makeStatement(sql: "SELECT split FROM split_assignments WHERE scheme_id = ? AND sample_id = ?")
                for (sample, split) in plan.fresh {
                    if let other = try String.fetchOne(lookup, arguments: [id, sample]), other != split { return false }
                }
            }
        } else {
            try SplitSchemeRecord(
                id: nil, name: options.scheme, ratios: Splits.json(plan.settings.ratios), stratify: plan.settings.stratify,
                grouping: plan.settings.group?.rawValue,
                seed: Int64(bitPattern: plan.settings.seed), createdAt: Timestamp.string(clock.now())
            ).insert(db)
            scheme = db.lastInsertedRowID
        }
        let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO split_assignments (scheme_id, sample_id, split) VALUES (?, ?, ?)")
        for (sample, split) in plan.fresh { try insert.execute(arguments: [scheme, sample, split]) }
        return true
    }
}

/// Augmented samples and their parents (`augmented_samples`), the whole store's: an export's
/// records must meet children they do not hold (another snapshot's, with a saved split), and
/// a chain's links. Each augmented sample's parent, and the uid of every parent named.
struct AugmentedFamilies {
    var parentOf: [Int64: Int64] = [:]
    var uid: [Int64: String] = [:]

    static func of(_ records: [ExportMember], _ db: Database) throws -> AugmentedFamilies {
        var families = AugmentedFamilies()
        let rows = try Row.fetchCursor(
            db, sql: "SELECT a.sample_id, a.parent_id, p.uid FROM augmented_samples a JOIN samples p ON p.id = a.parent_id")
        while let r = try rows.next() {
            let child: Int64 = try r.decode(atIndex: 0)
            let parent: Int64 = try r.decode(atIndex: 1)
            families.parentOf[child] = parent
            families.uid[parent] = try r.decode(atIndex: 2)
        }
        return families
    }
}

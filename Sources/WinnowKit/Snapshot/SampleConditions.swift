import GRDB

/// The label, scene and source filters that snapshots, queues and bulk decisions share.
struct SelectionFilter {
    var label: String?
    var scene: (dimension: String, category: String)?
    var source: String?

    /// The filters' pairs of a stored `selection` JSON, in their order (label, scene, source).
    var jsonPairs: [(String, String)] {
        var pairs: [(String, String)] = []
        if let label { pairs.append(("label", JSONText.quote(label))) }
        if let scene { pairs.append(("scene", JSONText.quote("\(scene.dimension)=\(scene.category)"))) }
        if let source { pairs.append(("source", JSONText.quote(source))) }
        return pairs
    }

    /// Refuses a selection naming a label, scene or source the store does not know
    /// (`Store.checkSelection`), then detectors it does not know, option by option in the
    /// order given: a typo fails instead of selecting nothing.
    func check(_ db: Database, detectors: [(names: [String], option: String)] = []) throws {
        try Store.checkSelection(db, label: label, scene: scene, source: source)
        for (names, option) in detectors { try Store.checkDetectors(db, names, option: option) }
    }
}

/// The one place the WHERE of a selection of active samples is built — over `samples s` joined
/// to its current revision `r` (`CurrentRevision.join`) — for `snapshot create`, `queue create`
/// and `review bulk`. Conditions and their bound arguments are added together, so their order
/// always matches.
struct SampleConditions {
    private(set) var conditions = ["s.status = '\(SampleStatus.active.rawValue)'"]
    private(set) var arguments: StatementArguments = []

    /// The conditions joined with AND.
    var sql: String { conditions.joined(separator: " AND ") }

    /// Adds one condition with its arguments.
    mutating func add(_ condition: String, _ arguments: StatementArguments = []) {
        conditions.append(condition)
        self.arguments += arguments
    }

    /// Adds the label, scene and source filters (checked before with `SelectionFilter.check`).
    mutating func filter(_ filter: SelectionFilter) {
        let shared = Store.selectionConditions(label: filter.label, scene: filter.scene, source: filter.source)
        conditions += shared.conditions
        arguments += shared.arguments
    }

    /// Only imported samples, or only augmented ones (those with an `augmented_samples` row):
    /// `samples --origin`, `queue create --origin`, `snapshot create --exclude-augmented`.
    mutating func origin(_ origin: SampleOrigin) {
        add("\(origin == .augmented ? "" : "NOT ")EXISTS (SELECT 1 FROM augmented_samples ax WHERE ax.sample_id = s.id)")
    }

    /// Only samples with an open flag `flags` selects (flag alias `alias`).
    mutating func requireOpenFlag(_ flags: FlagSelection, alias: String = "f") {
        let flag = flags.condition(alias)
        add(
            "EXISTS (SELECT 1 FROM flags \(alias) WHERE \(alias).sample_id = s.id AND \(alias).status = '\(FlagStatus.open.rawValue)' AND \(flag.sql))",
            flag.arguments)
    }

    /// Leaves out samples with an open flag `flags` selects (`--exclude-flagged`), first
    /// counting what that leaves out of the samples selected so far.
    mutating func excludeFlagged(_ db: Database, _ flags: FlagSelection, alias: String = "f") throws -> ExclusionReport {
        let report = try Store.exclusionReport(db, flags, conditions: conditions, arguments: arguments)
        let flag = flags.condition(alias)
        add(
            "NOT EXISTS (SELECT 1 FROM flags \(alias) WHERE \(alias).sample_id = s.id AND \(alias).status = '\(FlagStatus.open.rawValue)' AND \(flag.sql))",
            flag.arguments)
        return report
    }
}

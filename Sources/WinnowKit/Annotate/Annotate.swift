import Foundation
import GRDB
import Yams

/// One scene annotation to apply.
public struct SceneAssignment: Sendable, Equatable {
    public var uid: String
    public var dimension: String
    public var category: String
    public init(uid: String, dimension: String, category: String) {
        self.uid = uid
        self.dimension = dimension
        self.category = category
    }
}

/// What an annotation run changed.
public struct AnnotateResult: Codable, Sendable, Equatable {
    /// Annotations written (new or replacing another category).
    public var annotated = 0
    /// Of those, how many replaced an earlier category.
    public var replaced = 0
    /// Assignments that matched the current annotation already.
    public var unchanged = 0
    /// Categories written that the taxonomy does not list, per dimension.
    public var unknown: [String: [String]] = [:]
    /// With rules: per rule (dimension, category) in file order, how many samples it matched.
    public var categories: [RuleHits]?
    /// With rules: the keywords and regexes that matched no sample's text.
    public var unmatchedRules: [UnmatchedRule]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case annotated, replaced, unchanged, unknown, categories
        case unmatchedRules = "unmatched_rules"
    }
}

/// How many active samples one category's rule matched (won in its dimension) in a rules run.
public struct RuleHits: Codable, Sendable, Equatable {
    public var dimension: String
    public var category: String
    public var samples: Int
}

/// A keyword or regex of a rules file that matched no active sample's text.
public struct UnmatchedRule: Codable, Sendable, Equatable {
    public var dimension: String
    public var category: String
    /// `keyword` or `regex`.
    public var kind: String
    public var pattern: String
    /// Its line in the rules file.
    public var line: Int
}

/// Keyword and regex rules per dimension and category (`winnow annotate --rules`).
///
/// Within a dimension the categories are tried in file order and the first with a matching
/// rule wins. Keywords match as written, ignoring case, at word edges that suit them (see
/// `Keyword`); regexes are used as written (prefix `(?i)` to ignore case).
public struct SceneRules: Sendable {
    /// One keyword or regex, with its line in the file.
    public struct Entry: @unchecked Sendable {
        /// A keyword by its index in the rules' `KeywordSet`, or a regex.
        public enum Pattern { case keyword(Int), regex(NSRegularExpression) }
        public var pattern: Pattern
        public var written: String
        public var line: Int

        /// `keywordHits`: which of the rules' keywords occur in `text` (`KeywordSet.matches`).
        func matches(_ text: String, _ keywordHits: [Bool]) -> Bool {
            switch pattern {
            case .keyword(let index): return keywordHits[index]
            case .regex(let regex): return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            }
        }

        var kind: String {
            if case .keyword = pattern { return "keyword" }
            return "regex"
        }
    }
    public struct Rule: Sendable {
        public var dimension: String
        public var category: String
        /// Keywords first, then regexes, each in file order.
        public var entries: [Entry]
    }
    public var rules: [Rule]
    /// Every rule's keywords, indexed for one pass per text.
    public var keywords: KeywordSet

    /// Parses a rules file (YAML or JSON): `DIM: {CAT: {keywords: [...], regex: [...]}}`.
    /// A keyword or regex that could never match is refused with its line.
    public static func parse(_ text: String, file: String) throws -> SceneRules {
        func fail(_ node: Node?, _ message: String) -> WinnowError { YAMLDocument.error(file, at: node, message) }
        let root = try YAMLDocument.root(text, file: file, empty: "the rules file is empty")
        guard let dims = root.mapping else { throw fail(root, "expected DIMENSION: {CATEGORY: {keywords: [...], regex: [...]}}") }
        var rules: [Rule] = []
        var keywordSet = KeywordSet()
        for (dimKey, dimValue) in dims {
            guard let dimension = dimKey.string, !dimension.isEmpty else { throw fail(dimKey, "a dimension needs a name") }
            guard let cats = dimValue.mapping else { throw fail(dimValue, "\(dimension) must map categories to their rules") }
            for (catKey, catValue) in cats {
                guard let category = catKey.string, !category.isEmpty else { throw fail(catKey, "a category of \(dimension) needs a name") }
                guard let body = catValue.mapping else { throw fail(catValue, "\(dimension).\(category) must be {keywords: [...], regex: [...]}") }
                var keywords: [Entry] = [], regexes: [Entry] = []
                for (key, value) in body {
                    guard let list = value.sequence else { throw fail(value, "\(dimension).\(category).\(key.string ?? "") must be a list") }
                    switch key.string {
                    case "keywords":
                        for item in list {
                            let line = item.mark?.line ?? 0
                            if item.null != nil {
                                throw fail(item, "\(dimension).\(category): an empty keyword (a blank list entry or ~) can never match; remove it or write the word to match")
                            }
                            guard case .scalar = item, let word = item.string else {
                                throw fail(item, "\(dimension).\(category): each keyword must be a string; write it in quotes, for example - \"c++\"")
                            }
                            guard let keyword = Keyword(word) else {
                                throw fail(
                                    item,
                                    "\(dimension).\(category): the keyword '\(word)' is empty or only white space, so it can never match; remove it or write the word to match")
                            }
                            keywords.append(Entry(pattern: .keyword(keywordSet.add(keyword)), written: word, line: line))
                        }
                    case "regex":
                        for item in list {
                            guard case .scalar = item, item.null == nil, let pattern = item.string else {
                                throw fail(item, "\(dimension).\(category): each regex must be a string")
                            }
                            if pattern.isEmpty {
                                throw fail(item, "\(dimension).\(category): an empty regex would match every text; remove it or write the pattern")
                            }
                            do {
                                regexes.append(Entry(pattern: .regex(try NSRegularExpression(pattern: pattern)), written: pattern, line: item.mark?.line ?? 0))
                            } catch {
                                throw fail(item, "\(dimension).\(category): invalid regular expression '\(pattern)'")
                            }
                        }
                    default:
                        throw fail(key, "\(dimension).\(category): unknown key '\(key.string ?? "")' (rules take keywords and regex)")
                    }
                }
                if keywords.isEmpty && regexes.isEmpty { throw fail(catValue, "\(dimension).\(category) has no keywords or regex") }
                rules.append(Rule(dimension: dimension, category: category, entries: keywords + regexes))
            }
        }
        return SceneRules(rules: rules, keywords: keywordSet)
    }

    /// For each dimension, the category of the first rule that matches `text`.
    public func categories(for text: String) -> [(dimension: String, category: String)] {
        var tally = Tally(self)
        return tally.categories(for: text)
    }

    /// Runs the rules over texts one by one, counting each rule's samples and noting which
    /// keywords and regexes ever matched (each is tried until it has matched once, even where
    /// an earlier category already won, so that the report of dead rules is exact).
    public struct Tally {
        let rules: SceneRules
        /// Per rule: samples it won.
        public private(set) var samples: [Int]
        /// Per rule and entry: whether it matched some text.
        private var hit: [[Bool]]

        public init(_ rules: SceneRules) {
            self.rules = rules
            samples = Array(repeating: 0, count: rules.rules.count)
            hit = rules.rules.map { Array(repeating: false, count: $0.entries.count) }
        }

        /// For each dimension, the category of the first rule that matches `text`.
        public mutating func categories(for text: String) -> [(dimension: String, category: String)] {
            var result: [(String, String)] = []
            var done = Set<String>()
            let keywordHits = rules.keywords.keywords.isEmpty ? [] : rules.keywords.matches(FoldedText(text))
            for (r, rule) in rules.rules.enumerated() {
                let deciding = !done.contains(rule.dimension)
                var won = false
                for (e, entry) in rule.entries.enumerated() {
                    guard (deciding && !won) || !hit[r][e] else { continue }
                    if entry.matches(text, keywordHits) {
                        hit[r][e] = true
                        if deciding { won = true }
                    }
                }
                if won {
                    result.append((rule.dimension, rule.category))
                    done.insert(rule.dimension)
                    samples[r] += 1
                }
            }
            return result
        }

        /// Each rule's sample count, in file order.
        public var hits: [RuleHits] {
            zip(rules.rules, samples).map { RuleHits(dimension: $0.dimension, category: $0.category, samples: $1) }
        }

        /// The keywords and regexes that matched nothing so far, in file order.
        public var unmatched: [UnmatchedRule] {
            var list: [UnmatchedRule] = []
            for (r, rule) in rules.rules.enumerated() {
                for (e, entry) in rule.entries.enumerated() where !hit[r][e] {
                    list.append(
                        UnmatchedRule(
                            dimension: rule.dimension, category: rule.category, kind: entry.kind,
                            pattern: entry.written, line: entry.line))
                }
            }
            return list.sorted { $0.line < $1.line }
        }
    }
}

extension Store {
    /// Applies scene annotations: a different category replaces the current one (the old one
    /// stays as history), the same category changes nothing. All or nothing: an unknown uid
    /// stops the whole run.
    public func annotate(_ assignments: [(line: Int, SceneAssignment)], origin: String, file: String) throws -> AnnotateResult {
        try write { db in
            var result = AnnotateResult()
            let now = Timestamp.string(clock.now())
            let taxonomy = try Store.taxonomy(db)
            var problems: [RecordProblem] = []
            for (line, a) in assignments {
                guard let sampleID = try Int64.fetchOne(db, sql: "SELECT id FROM samples WHERE uid = ?", arguments: [a.uid]) else {
                    problems.append(RecordProblem(line: line, reason: "no sample with uid '\(a.uid)'"))
                    continue
                }
                if !problems.isEmpty { continue }
                try Store.setScene(
                    db, sampleID: sampleID, dimension: a.dimension, category: a.category, origin: origin,
                    now: now, taxonomy: taxonomy, result: &result)
            }
            if !problems.isEmpty {
                throw WinnowError.badRecords(
                    path: file, problems: problems, total: problems.count,
                    outcome: "nothing was annotated; fix these records and run again")
            }
            return result
        }
    }

    /// Annotates every active sample the rules match. Rules never overwrite an annotation
    /// made by import, a file or a reviewer unless `replaceAll`; they do replace earlier rule ones.
    public func annotate(rules: SceneRules, replaceAll: Bool) throws -> AnnotateResult {
        try write { db in
            var result = AnnotateResult()
            let now = Timestamp.string(clock.now())
            let taxonomy = try Store.taxonomy(db)
            // Stream the texts: a million samples never sit in memory at once.
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.id, \(ContentColumns.selectList())
                    FROM samples s \(CurrentRevision.joinWithContent)
                    WHERE s.status = '\(SampleStatus.active.rawValue)' ORDER BY s.id
                    """)
            var matches: [(Int64, String, String)] = []
            var tally = SceneRules.Tally(rules)
            while let row = try cursor.next() {
                let sampleID: Int64 = try row.value("id")
                for (dimension, category) in tally.categories(for: try ContentColumns.content(row).plainText) {
                    matches.append((sampleID, dimension, category))
                }
            }
            for (sampleID, dimension, category) in matches {
                try Store.setScene(
                    db, sampleID: sampleID, dimension: dimension, category: category, origin: AnnotationOrigin.rules.rawValue,
                    now: now, taxonomy: taxonomy, keepOtherOrigins: !replaceAll, result: &result)
            }
            result.categories = tally.hits
            result.unmatchedRules = tally.unmatched
            return result
        }
    }

    /// Sets one sample's category in a dimension, keeping the replaced annotation as history.
    static func setScene(
        _ db: Database, sampleID: Int64, dimension: String, category: String, origin: String,
        now: String, taxonomy: Taxonomy, keepOtherOrigins: Bool = false,
        result: inout AnnotateResult
    ) throws {
        // Cached statements: `cluster` and `annotate` call this once per sample, a million times on a large store.
        let current = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT id, category, origin FROM scene_annotations WHERE sample_id = ? AND dimension = ? AND replaced_by IS NULL"),
            arguments: [sampleID, dimension])
        if keepOtherOrigins, let current, try current.value("origin", as: String.self) != origin { return }
        if let current, try current.value("category", as: String.self) == category {
            result.unchanged += 1
            return
        }
        let known = taxonomy.categoryNames(of: dimension).contains(category)
        if !known && !(result.unknown[dimension]?.contains(category) ?? false) {
            result.unknown[dimension, default: []].append(category)
        }
        let newID = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT coalesce(max(id), 0) + 1 FROM scene_annotations")) ?? 1)
        if let current {
            try db.cachedStatement(sql: "UPDATE scene_annotations SET replaced_by = ? WHERE id = ?").execute(arguments: [
                newID, try current.value("id", as: Int64.self),
            ])
            result.replaced += 1
        }
        try db.cachedStatement(
            sql: "INSERT INTO scene_annotations (id, sample_id, dimension, category, origin, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [newID, sampleID, dimension, category, origin, now])
        result.annotated += 1
    }
}

extension SceneAssignment {
    /// Reads `uid, dimension, category` records from a JSONL or CSV file, with their lines.
    public static func read(file: String) throws -> [(line: Int, SceneAssignment)] {
        try readWholeRecordFile(
            file, expected: "annotations come as .jsonl or .csv with uid, dimension, category",
            outcome: "nothing was annotated; fix these records and run again"
        ) { line, fields throws -> SceneAssignment in
            let values = ["uid", "dimension", "category"].map { key -> String? in
                if let s = fields[key] as? String { return s.isEmpty ? nil : s }
                if let n = fields[key] as? NSNumber { return n.stringValue }
                return nil
            }
            guard let uid = values[0], let dimension = values[1], let category = values[2] else {
                let missing = zip(["uid", "dimension", "category"], values).filter { $0.1 == nil }.map(\.0)
                throw RecordProblem(line: line, reason: "missing \(missing.joined(separator: ", ")); each record needs uid, dimension and category")
            }
            return SceneAssignment(uid: uid, dimension: dimension, category: category)
        }.map { ($0.line, $0.value) }
    }
}

import Foundation
import GRDB

extension Store {
    /// `--of` as given: `labels`, `scene.DIM`, or a bare dimension name that a `winnow cluster`
    /// run wrote (`--of topic`), the same as `scene.topic`.
    public func distributionSubject(_ text: String) throws -> DistributionSubject {
        do {
            return try DistributionSubject(text)
        } catch {
            let clustered = try read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM cluster_runs WHERE dimension = ?)", arguments: [text]) ?? false
            }
            if clustered { return .scene(text) }
            throw error
        }
    }
}

/// What `winnow distribution` measures and against what.
public enum DistributionSubject: Sendable, Equatable {
    case labels
    case scene(String)

    /// Parses `labels` or `scene.DIM`.
    public init(_ text: String) throws {
        if text == "labels" { self = .labels; return }
        if text.hasPrefix("scene."), text.count > 6 { self = .scene(String(text.dropFirst(6))); return }
        throw WinnowError.invalidArgument(
            "--of \(text): expected labels or scene.DIM (for example scene.domain), or the dimension of a `winnow cluster` run (for example topic)")
    }

    public var name: String {
        switch self {
        case .labels: return "labels"
        case .scene(let d): return "scene.\(d)"
        }
    }
}

/// `distribution --json` (SPEC section 11).
public struct DistributionReport: Codable, Sendable {
    public var of: String
    public var against: String
    public var divergence: DivergenceReport
    /// With `--against corpus:FILE`: what was read and assigned (left out of the JSON otherwise).
    public var corpus: CorpusSummary?

    public func encode(to encoder: Encoder) throws {
        try divergence.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(of, forKey: .of)
        try container.encode(against, forKey: .against)
        try container.encodeIfPresent(corpus, forKey: .corpus)
    }
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        of = try container.decode(String.self, forKey: .of)
        against = try container.decode(String.self, forKey: .against)
        corpus = try container.decodeIfPresent(CorpusSummary.self, forKey: .corpus)
        divergence = try DivergenceReport(from: decoder)
    }
    init(of: String, against: String, divergence: DivergenceReport, corpus: CorpusSummary? = nil) {
        self.of = of
        self.against = against
        self.divergence = divergence
        self.corpus = corpus
    }
    enum Keys: String, CodingKey { case of, against, corpus }
}

extension Store {
    /// The dataset's distribution over labels or a dimension against a reference: the
    /// taxonomy targets (default; uniform over labels for `labels`), a file, or another
    /// snapshot (`snapshot:NAME`). P is taken over the live store, or over `snapshot`'s
    /// members as frozen. `corpus:FILE` embeds FILE's texts with `embedder` and assigns them to
    /// the topics of the dimension's latest cluster run (`corpusReference`).
    public func distribution(
        of subject: DistributionSubject, against: String?, snapshot: String? = nil,
        embedder: EmbedderFactory = Store.sentenceEncoderFactory
    ) throws -> DistributionReport {
        if let against, against.hasPrefix("corpus:") {
            let file = String(against.dropFirst("corpus:".count))
            guard case .scene(let dimension) = subject else {
                throw WinnowError.invalidArgument(
                    "--against \(against): a corpus is compared by topic; pass --of DIM, the dimension `winnow cluster` wrote (for example --of topic)")
            }
            guard !file.isEmpty else { throw WinnowError.invalidArgument("--against corpus:FILE needs a file after 'corpus:'") }
            // Embedding happens outside any transaction: it may take a while.
            let corpus = try corpusReference(file: file, dimension: dimension, embedder: embedder)
            return try read { db in
                let taxonomy = try Store.taxonomy(db)
                let (counts, _) = try Store.subjectCounts(db, subject: subject, snapshot: try MetricSnapshot.named(snapshot, in: db), taxonomy: taxonomy)
                return DistributionReport(
                    of: subject.name, against: against,
                    divergence: Divergence.report(counts: counts, reference: corpus.reference, order: corpus.order), corpus: corpus.summary)
            }
        }
        return try read { db in
            let taxonomy = try Store.taxonomy(db)
            let (counts, order) = try Store.subjectCounts(
                db, subject: subject, snapshot: try MetricSnapshot.named(snapshot, in: db),
                taxonomy: taxonomy)
            let present = order + counts.keys.sorted().filter { !order.contains($0) }
            let (reference, againstName) = try Store.reference(db, against: against, subject: subject, order: present, taxonomy: taxonomy, option: "--against")
            return DistributionReport(
                of: subject.name, against: againstName,
                divergence: Divergence.report(counts: counts, reference: reference, order: order))
        }
    }

    /// The reference distribution Q that `distribution --against` and `export --resample --to`
    /// compare with, and its name: `against` nil is the default (the taxonomy's targets for a
    /// dimension, uniform over `order` for labels); `taxonomy`, `uniform` (over `order`),
    /// `snapshot:NAME` (that snapshot's counts) or a file (`referenceDistribution`).
    /// `option` names the option in messages.
    static func reference(
        _ db: Database, against: String?, subject: DistributionSubject, order: [String], taxonomy: Taxonomy,
        option: String
    ) throws -> (reference: [String: Double], name: String) {
        if let against, against.hasPrefix("snapshot:") {
            let other = try MetricSnapshot.named(String(against.dropFirst("snapshot:".count)), in: db)
            let q = try Store.subjectCounts(db, subject: subject, snapshot: other, taxonomy: taxonomy).counts
            guard q.values.reduce(0, +) > 0 else {
                let what: String
                switch subject {
                case .labels: what = "labelled members"
                case .scene(let dimension): what = "members with a category in '\(dimension)'"
                }
                throw WinnowError.invalidArgument("\(option) \(against): that snapshot has no \(what) to compare with")
            }
            return (q.mapValues(Double.init), against)
        }
        if against == "uniform" {
            guard !order.isEmpty else { throw WinnowError.invalidArgument("\(option) uniform: no categories to spread over") }
            return (Dictionary(uniqueKeysWithValues: order.map { ($0, 1.0) }), "uniform")
        }
        if let against, against != "taxonomy" {
            return (try Store.referenceDistribution(file: against, subject: subject), against)
        }
        switch subject {
        case .labels:
            if against == "taxonomy" {
                throw WinnowError.invalidArgument("\(option) taxonomy: the taxonomy sets targets for scene dimensions, not labels; use uniform, a FILE or snapshot:NAME")
            }
            guard !order.isEmpty else { throw WinnowError.invalidArgument("no labelled samples to measure") }
            return (Dictionary(uniqueKeysWithValues: order.map { ($0, 1.0) }), "uniform")
        case .scene(let dimension):
            guard let dim = taxonomy.dimension(dimension),
                dim.categories.contains(where: { ($0.target ?? 0) > 0 })
            else {
                throw WinnowError.invalidArgument(
                    "dimension '\(dimension)' has no targets in the taxonomy; set targets with `winnow taxonomy load`, or pass \(option) FILE")
            }
            return (Dictionary(uniqueKeysWithValues: dim.categories.map { ($0.name, Double($0.target ?? 0)) }), "taxonomy")
        }
    }

    /// Counts of the subject (labels, or a dimension's categories) over the live store or a
    /// snapshot, and the order to list them in: label-index order, or the taxonomy's categories.
    static func subjectCounts(
        _ db: Database, subject: DistributionSubject, snapshot: MetricSnapshot?,
        taxonomy: Taxonomy
    ) throws -> (counts: [String: Int], order: [String]) {
        switch subject {
        case .labels:
            let labels = try Store.labelCounts(db, snapshot: snapshot)
            return (Dictionary(uniqueKeysWithValues: labels.map { ($0.label, $0.count) }), labels.map(\.label))
        case .scene(let dimension):
            let all = try Store.sceneCounts(db, snapshot: snapshot)
            let known = taxonomy.dimensionNames(with: all)
            guard known.contains(dimension) else {
                throw WinnowError.invalidArgument(
                    "no dimension '\(dimension)' in the taxonomy or the annotations\(snapshot.map { " of snapshot '\($0.name)'" } ?? ""); known: \(known.isEmpty ? "none" : known.joined(separator: ", "))"
                )
            }
            return (all[dimension] ?? [:], taxonomy.categoryNames(of: dimension))
        }
    }

    /// A reference distribution from a file: a JSON object {category: proportion or count},
    /// a CSV `category,proportion` or `category,count`, or a JSONL of samples carrying the field.
    static func referenceDistribution(file: String, subject: DistributionSubject) throws -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw WinnowError.unreadableInput(path: file, reason: "cannot read the reference file; check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WinnowError.unreadableInput(path: file, reason: "the reference file is not UTF-8 text")
        }
        let lower = file.lowercased()
        var result: [String: Double] = [:]
        if lower.hasSuffix(".csv") {
            let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let header = lines.first?.replacingOccurrences(of: "\u{FEFF}", with: ""),
                ["category,proportion", "category,count"].contains(header)
            else {
                throw WinnowError.unreadableInput(path: file, reason: "line 1: the header must be category,proportion or category,count")
            }
            for (i, line) in lines.enumerated().dropFirst() where !line.isEmpty {
                let parts = line.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count == 2, let value = Double(parts[1].trimmingCharacters(in: .whitespaces)), value >= 0, value.isFinite else {
                    throw WinnowError.unreadableInput(path: file, reason: "line \(i + 1): expected CATEGORY,NUMBER (a finite number ≥ 0)")
                }
                result[String(parts[0]), default: 0] += value
            }
        } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
            let field: String
            switch subject {
            case .labels: field = "label"
            case .scene(let dimension): field = dimension
            }
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw WinnowError.unreadableInput(path: file, reason: "line \(i + 1): not a JSON object")
                }
                if let value = object[field] as? String {
                    result[value, default: 0] += 1
                } else if let value = object[field] as? NSNumber { // labels' rule (RecordBuilder.numberText)
                    result[RecordBuilder.isBoolean(value) ? (value.boolValue ? "true" : "false") : RecordBuilder.numberText(value), default: 0] += 1
                }
            }
            if result.isEmpty {
                throw WinnowError.unreadableInput(path: file, reason: "no record carries the field '\(field)'")
            }
        } else {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw WinnowError.unreadableInput(path: file, reason: "expected a JSON object {\"category\": proportion or count} (or a .csv / .jsonl file)")
            }
            for (key, value) in object {
                guard let number = value as? NSNumber, !RecordBuilder.isBoolean(number), number.doubleValue >= 0, number.doubleValue.isFinite else {
                    throw WinnowError.unreadableInput(path: file, reason: "the value of '\(key)' must be a finite number ≥ 0")
                }
                result[key] = number.doubleValue
            }
        }
        guard result.values.allSatisfy(\.isFinite) else {
            throw WinnowError.unreadableInput(path: file, reason: "a category's total is too large to hold (over \(Double.greatestFiniteMagnitude)); scale the counts down")
        }
        // Proportions are what count: scaled by the largest, the values cannot overflow a sum.
        guard let largest = result.values.max(), largest > 0 else {
            throw WinnowError.unreadableInput(path: file, reason: "the reference sums to zero")
        }
        return result.mapValues { $0 / largest }
    }
}

import Foundation
import GRDB
import Yams

/// The task's scene taxonomy: dimensions with categories, their target counts and weights,
/// and optionally a fixed label order. Loaded from YAML or JSON (same shape).
public struct Taxonomy: Codable, Sendable, Equatable {
    public struct Category: Codable, Sendable, Equatable {
        public var name: String
        /// n_c*: how many samples the category should have; nil when not set.
        public var target: Int?
        /// w_c before normalisation (default 1: equal shares).
        public var weight: Double
    }
    public struct Dimension: Codable, Sendable, Equatable {
        public var name: String
        public var description: String?
        public var categories: [Category]
    }

    /// The label index order, when the taxonomy fixes it.
    public var labels: [String]
    public var dimensions: [Dimension]

    /// Parses a taxonomy file; errors name the file, line and key at fault.
    public static func parse(_ text: String, file: String) throws -> Taxonomy {
        let root = try YAMLDocument.root(text, file: file, empty: "the file is empty; a taxonomy needs `dimensions:` (see the README)")
        return try TaxonomyParser(file: file).taxonomy(root)
    }
}

extension Taxonomy {
    /// The dimension named `name`, nil when the taxonomy has none.
    func dimension(_ name: String) -> Dimension? {
        dimensions.first { $0.name == name }
    }

    /// The names of dimension `name`'s categories in taxonomy order ([] when it has none).
    func categoryNames(of name: String) -> [String] {
        dimension(name)?.categories.map(\.name) ?? []
    }

    /// Dimension `name`'s categories as coverage specs (SPEC section 4; [] when it has none).
    func coverageSpecs(of name: String) -> [Coverage.Spec] {
        dimension(name)?.categories.map { Coverage.Spec(name: $0.name, target: $0.target, weight: $0.weight) } ?? []
    }

    /// The dimensions to report: the taxonomy's in its order, then any others that have
    /// annotations in `counts`, by name. The one list stats, coverage and distribution use.
    func dimensionNames(with counts: [String: [String: Int]]) -> [String] {
        var names = dimensions.map(\.name)
        for name in counts.keys.sorted() where !names.contains(name) { names.append(name) }
        return names
    }
}

/// Reads a taxonomy's YAML nodes, level by level: the top level, `labels`, `dimensions`, one
/// dimension, its categories, one category.
private struct TaxonomyParser {
    let file: String

    func fail(_ node: Node?, _ message: String) -> WinnowError {
        YAMLDocument.error(file, at: node, message)
    }

    func taxonomy(_ root: Node) throws -> Taxonomy {
        guard let top = root.mapping else { throw fail(root, "the top level must be a mapping with `dimensions:` (and optionally `labels:`)") }
        var taxonomy = Taxonomy(labels: [], dimensions: [])
        for (key, value) in top {
            switch key.string {
            case "labels": taxonomy.labels = try labels(value, after: taxonomy.labels)
            case "dimensions": taxonomy.dimensions.append(contentsOf: try dimensions(value))
            default: throw fail(key, "unknown top-level key '\(key.string ?? "")' (a taxonomy has labels and dimensions)")
            }
        }
        if taxonomy.dimensions.isEmpty && taxonomy.labels.isEmpty {
            throw fail(root, "the taxonomy defines neither dimensions nor labels")
        }
        return taxonomy
    }

    func labels(_ value: Node, after earlier: [String]) throws -> [String] {
        guard let list = value.sequence else { throw fail(value, "`labels` must be a list of label names") }
        var labels = earlier
        for item in list {
            guard let name = item.string, !name.isEmpty else { throw fail(item, "`labels` entries must be non-empty names") }
            if labels.contains(name) { throw fail(item, "label '\(name)' is listed twice") }
            labels.append(name)
        }
        return labels
    }

    func dimensions(_ value: Node) throws -> [Taxonomy.Dimension] {
        guard let dims = value.mapping else { throw fail(value, "`dimensions` must map each dimension name to its `categories`") }
        return try dims.map { try dimension($0.key, $0.value) }
    }

    func dimension(_ key: Node, _ value: Node) throws -> Taxonomy.Dimension {
        guard let name = key.string, !name.isEmpty else { throw fail(key, "a dimension needs a name") }
        guard let body = value.mapping else { throw fail(value, "dimensions.\(name) must be a mapping with `categories:`") }
        var dimension = Taxonomy.Dimension(name: name, description: nil, categories: [])
        var sawCategories = false
        for (field, fieldValue) in body {
            switch field.string {
            case "description":
                dimension.description = fieldValue.string
            case "categories":
                sawCategories = true
                try categories(fieldValue, of: name, into: &dimension.categories)
            default:
                throw fail(field, "dimensions.\(name): unknown key '\(field.string ?? "")' (a dimension takes categories and description)")
            }
        }
        if !sawCategories || dimension.categories.isEmpty {
            throw fail(value, "dimensions.\(name) has no categories")
        }
        return dimension
    }

    func categories(_ value: Node, of dimension: String, into categories: inout [Taxonomy.Category]) throws {
        guard let cats = value.mapping else {
            throw fail(value, "dimensions.\(dimension).categories must map each category to {target: N, weight: W}")
        }
        for (key, catValue) in cats {
            guard let name = key.string, !name.isEmpty else { throw fail(key, "a category of \(dimension) needs a name") }
            let category = try self.category(name, catValue, path: "dimensions.\(dimension).categories.\(name)")
            if categories.contains(where: { $0.name == name }) {
                throw fail(key, "category '\(name)' appears twice in \(dimension)")
            }
            categories.append(category)
        }
    }

    /// A category: `name: N` (the target, shorthand), `name: {target: N, weight: W}`, or `name:`.
    func category(_ name: String, _ value: Node, path: String) throws -> Taxonomy.Category {
        var category = Taxonomy.Category(name: name, target: nil, weight: 1)
        if case .scalar = value, value.null == nil {
            guard let target = value.int, target >= 0 else {
                throw fail(value, "\(path) must be a target count (a whole number ≥ 0) or {target: N, weight: W}, got '\(value.string ?? "")'")
            }
            category.target = target
        } else if let props = value.mapping {
            for (key, propValue) in props {
                switch key.string {
                case "target":
                    guard let target = propValue.int, target >= 0 else {
                        throw fail(propValue, "\(path).target must be a whole number ≥ 0, got '\(propValue.string ?? "")'")
                    }
                    category.target = target
                case "weight":
                    guard let weight = propValue.float, weight >= 0, weight.isFinite else {
                        throw fail(propValue, "\(path).weight must be a number ≥ 0, got '\(propValue.string ?? "")'")
                    }
                    category.weight = weight
                default:
                    throw fail(key, "\(path): unknown key '\(key.string ?? "")' (a category takes target and weight)")
                }
            }
        } else if value.null == nil {
            throw fail(value, "\(path) must be {target: N, weight: W}")
        }
        return category
    }
}

extension Store {
    /// Replaces the taxonomy with `taxonomy`: dimensions, categories and label order. Scene
    /// annotations are kept whatever the taxonomy says (unknown categories are reported, not dropped).
    public func loadTaxonomy(_ taxonomy: Taxonomy) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM categories")
            try db.execute(sql: "DELETE FROM dimensions")
            try db.execute(sql: "DELETE FROM labels")
            // Category positions run over the whole file, so that they also keep the order of
            // the dimensions (a dimension's place is its first category's).
            var position = 0
            for dimension in taxonomy.dimensions {
                try db.execute(
                    sql: "INSERT INTO dimensions (name, description) VALUES (?, ?)",
                    arguments: [dimension.name, dimension.description])
                for category in dimension.categories {
                    try db.execute(
                        sql: "INSERT INTO categories (dimension, name, target, weight, position) VALUES (?, ?, ?, ?, ?)",
                        arguments: [dimension.name, category.name, category.target, category.weight, position])
                    position += 1
                }
            }
            for (position, label) in taxonomy.labels.enumerated() {
                try db.execute(sql: "INSERT INTO labels (name, position) VALUES (?, ?)", arguments: [label, position])
            }
        }
    }

    /// The taxonomy as stored, dimensions and categories in the order of the file it was loaded
    /// from (taxonomies loaded by an older Winnow list their dimensions by name until loaded again).
    public func taxonomy() throws -> Taxonomy {
        try read { db in try Store.taxonomy(db) }
    }

    static func taxonomy(_ db: Database) throws -> Taxonomy {
        let labels = try String.fetchAll(db, sql: "SELECT name FROM labels ORDER BY position")
        var dimensions: [Taxonomy.Dimension] = []
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT d.name, d.description FROM dimensions d
                ORDER BY (SELECT min(c.position) FROM categories c WHERE c.dimension = d.name), d.name
                """)
        {
            let name: String = try row.value("name")
            let categories = try Row.fetchAll(
                db, sql: "SELECT name, target, weight FROM categories WHERE dimension = ? ORDER BY position",
                arguments: [name]
            ).map {
                Taxonomy.Category(name: try $0.value("name"), target: try $0.value("target"), weight: try $0.value("weight"))
            }
            dimensions.append(.init(name: name, description: try row.value("description"), categories: categories))
        }
        return Taxonomy(labels: labels, dimensions: dimensions)
    }
}

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
        func fail(_ node: Node?, _ message: String) -> WinnowError {
            let line = node?.mark.map { ":\($0.line)" } ?? ""
            return .invalidArgument("\(file)\(line): \(message)")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw WinnowError.invalidArgument("\(file): the file is empty; a taxonomy needs `dimensions:` (see the README)")
            }
            root = node
        } catch let error as YamlError {
            throw WinnowError.invalidArgument("\(file): not valid YAML or JSON: \(Taxonomy.describe(error))")
        }
        guard let top = root.mapping else { throw fail(root, "the top level must be a mapping with `dimensions:` (and optionally `labels:`)") }
        var taxonomy = Taxonomy(labels: [], dimensions: [])
        for (key, value) in top {
            switch key.string {
            case "labels":
                guard let list = value.sequence else { throw fail(value, "`labels` must be a list of label names") }
                for item in list {
                    guard let name = item.string, !name.isEmpty else { throw fail(item, "`labels` entries must be non-empty names") }
                    if taxonomy.labels.contains(name) { throw fail(item, "label '\(name)' is listed twice") }
                    taxonomy.labels.append(name)
                }
            case "dimensions":
                guard let dims = value.mapping else { throw fail(value, "`dimensions` must map each dimension name to its `categories`") }
                for (dimKey, dimValue) in dims {
                    guard let dimName = dimKey.string, !dimName.isEmpty else { throw fail(dimKey, "a dimension needs a name") }
                    guard let body = dimValue.mapping else { throw fail(dimValue, "dimensions.\(dimName) must be a mapping with `categories:`") }
                    var dimension = Dimension(name: dimName, description: nil, categories: [])
                    var sawCategories = false
                    for (field, fieldValue) in body {
                        switch field.string {
                        case "description":
                            dimension.description = fieldValue.string
                        case "categories":
                            sawCategories = true
                            guard let cats = fieldValue.mapping else {
                                throw fail(fieldValue, "dimensions.\(dimName).categories must map each category to {target: N, weight: W}")
                            }
                            for (catKey, catValue) in cats {
                                guard let catName = catKey.string, !catName.isEmpty else { throw fail(catKey, "a category of \(dimName) needs a name") }
                                var category = Category(name: catName, target: nil, weight: 1)
                                let path = "dimensions.\(dimName).categories.\(catName)"
                                if case .scalar = catValue, catValue.null == nil {
                                    // Shorthand: `news: 10000` is the target.
                                    guard let target = catValue.int, target >= 0 else {
                                        throw fail(catValue, "\(path) must be a target count (a whole number ≥ 0) or {target: N, weight: W}, got '\(catValue.string ?? "")'")
                                    }
                                    category.target = target
                                } else if let props = catValue.mapping {
                                    for (propKey, propValue) in props {
                                        switch propKey.string {
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
                                            throw fail(propKey, "\(path): unknown key '\(propKey.string ?? "")' (a category takes target and weight)")
                                        }
                                    }
                                } else if catValue.null == nil {
                                    throw fail(catValue, "\(path) must be {target: N, weight: W}")
                                }
                                if dimension.categories.contains(where: { $0.name == catName }) {
                                    throw fail(catKey, "category '\(catName)' appears twice in \(dimName)")
                                }
                                dimension.categories.append(category)
                            }
                        default:
                            throw fail(field, "dimensions.\(dimName): unknown key '\(field.string ?? "")' (a dimension takes categories and description)")
                        }
                    }
                    if !sawCategories || dimension.categories.isEmpty {
                        throw fail(dimValue, "dimensions.\(dimName) has no categories")
                    }
                    taxonomy.dimensions.append(dimension)
                }
            default:
                throw fail(key, "unknown top-level key '\(key.string ?? "")' (a taxonomy has labels and dimensions)")
            }
        }
        if taxonomy.dimensions.isEmpty && taxonomy.labels.isEmpty {
            throw fail(root, "the taxonomy defines neither dimensions nor labels")
        }
        return taxonomy
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "\(problem) at line \(mark.line), column \(mark.column)"
        default:
            return "\(error)"
        }
    }
}

extension Store {
    /// Replaces the taxonomy with `taxonomy`: dimensions, categories and label order. Scene
    /// annotations are kept whatever the taxonomy says (unknown categories are reported, not dropped).
    public func loadTaxonomy(_ taxonomy: Taxonomy) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM categories")
            try db.execute(sql: "DELETE FROM dimensions")
            try db.execute(sql: "DELETE FROM labels")
            // Category positions run over the whole file, so that they also keep the order of
            // the dimensions (a dimension's place is its first category's).
            var position = 0
            for dimension in taxonomy.dimensions {
                try db.execute(sql: "INSERT INTO dimensions (name, description) VALUES (?, ?)",
                               arguments: [dimension.name, dimension.description])
                for category in dimension.categories {
                    try db.execute(sql: "INSERT INTO categories (dimension, name, target, weight, position) VALUES (?, ?, ?, ?, ?)",
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
        try pool.read { db in try Store.taxonomy(db) }
    }

    static func taxonomy(_ db: Database) throws -> Taxonomy {
        let labels = try String.fetchAll(db, sql: "SELECT name FROM labels ORDER BY position")
        var dimensions: [Taxonomy.Dimension] = []
        for row in try Row.fetchAll(db, sql: """
            SELECT d.name, d.description FROM dimensions d
            ORDER BY (SELECT min(c.position) FROM categories c WHERE c.dimension = d.name), d.name
            """) {
            let name: String = row["name"]
            let categories = try Row.fetchAll(db, sql: "SELECT name, target, weight FROM categories WHERE dimension = ? ORDER BY position",
                                              arguments: [name]).map {
                Taxonomy.Category(name: $0["name"], target: $0["target"], weight: $0["weight"])
            }
            dimensions.append(.init(name: name, description: row["description"], categories: categories))
        }
        return Taxonomy(labels: labels, dimensions: dimensions)
    }
}

/// A Parquet file's schema as a tree: groups and primitive leaves, each with the definition and
/// repetition levels its values carry (Dremel's encoding of optional and repeated fields).
final class ParquetNode: Sendable {
    let name: String
    let repetition: FieldRepetition
    /// nil for a group.
    let type: ParquetType?
    let typeLength: Int
    let convertedType: ConvertedType?
    let logicalType: LogicalType?
    let scale: Int
    let children: [ParquetNode]
    /// The definition level at which this node is present (its optional and repeated
    /// ancestors, and itself if optional or repeated).
    let definitionLevel: Int
    /// The number of repeated nodes from the root to this one, itself included.
    let repetitionLevel: Int
    /// For a leaf: its index among the leaves, which is its column's index in every row group.
    let leafIndex: Int
    /// The path of names from below the root, as `path_in_schema` has it.
    let path: [String]
    /// Leaf indices under this node, in order.
    let leaves: [Int]

    var isLeaf: Bool { type != nil }
    var dottedPath: String { path.joined(separator: ".") }

    /// A LIST annotation (new or old style).
    var isList: Bool { logicalType == .list || convertedType == .list }
    /// A MAP annotation (new or old style).
    var isMap: Bool { logicalType == .map || convertedType == .map || convertedType == .mapKeyValue }

    init(
        element e: SchemaElement, repetition: FieldRepetition, children: [ParquetNode], definitionLevel: Int, repetitionLevel: Int,
        leafIndex: Int, path: [String], leaves: [Int]
    ) {
        name = e.name
        self.repetition = repetition
        type = children.isEmpty ? e.type : nil
        typeLength = Int(e.typeLength ?? 0)
        convertedType = e.convertedType
        logicalType = e.logicalType
        scale = Int(e.scale ?? 0)
        self.children = children
        self.definitionLevel = definitionLevel
        self.repetitionLevel = repetitionLevel
        self.leafIndex = leafIndex
        self.path = path
        self.leaves = leaves
    }
}

/// The tree of a footer's schema list, checked: every group's children are there, every leaf
/// has a physical type, and nesting stays within `maxDepth`.
struct ParquetSchema: Sendable {
    let root: ParquetNode
    /// The leaves in file order: one column chunk each per row group.
    let leaves: [ParquetNode]
    static let maxDepth = 64

    init(_ elements: [SchemaElement]) throws {
        var position = 0
        var leaves: [ParquetNode] = []
        func build(path: [String], def: Int, rep: Int, depth: Int, isRoot: Bool) throws -> ParquetNode {
            guard depth <= Self.maxDepth else { throw ParquetError(reason: "nests its schema deeper than \(Self.maxDepth) levels") }
            guard position < elements.count else { throw ParquetError(reason: "has a schema that ends inside a group") }
            let e = elements[position]
            position += 1
            let repetition = isRoot ? .required : (e.repetition ?? .required)
            let d = def + (repetition == .required ? 0 : 1)
            let r = rep + (repetition == .repeated ? 1 : 0)
            let myPath = isRoot ? [] : path + [e.name]
            let n = e.numChildren ?? 0
            if n == 0 && e.type == nil && !isRoot {
                throw ParquetError(reason: "has a schema field '\(myPath.joined(separator: "."))' that is neither a group nor typed")
            }
            guard n <= elements.count - position else {
                throw ParquetError(reason: "has a schema group '\(e.name)' with \(n) children where only \(elements.count - position) elements are left")
            }
            if n == 0 && !isRoot {
                let index = leaves.count
                let node = ParquetNode(
                    element: e, repetition: repetition, children: [], definitionLevel: d, repetitionLevel: r, leafIndex: index, path: myPath,
                    leaves: [index])
                leaves.append(node)
                return node
            }
            var children: [ParquetNode] = []
            for _ in 0..<n { children.append(try build(path: myPath, def: d, rep: r, depth: depth + 1, isRoot: false)) }
            return ParquetNode(
                element: e, repetition: repetition, children: children, definitionLevel: d, repetitionLevel: r, leafIndex: -1, path: myPath,
                leaves: children.flatMap(\.leaves))
        }
        root = try build(path: [], def: 0, rep: 0, depth: 0, isRoot: true)
        guard position == elements.count else {
            throw ParquetError(reason: "has \(elements.count - position) schema elements outside the root group")
        }
        self.leaves = leaves
    }
}

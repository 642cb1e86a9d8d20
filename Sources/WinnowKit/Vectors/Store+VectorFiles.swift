import Foundation
import GRDB

/// What `winnow vectors import` did.
public struct VectorImportResult: Codable, Sendable, Equatable {
    public var file: String
    /// The uids file of a `.npy` import (nil for JSON Lines).
    @NullEncodable public var uids: String?
    public var format: VectorFileFormat
    public var model: String
    public var dimension: Int
    public var dtype: VectorDType
    /// Vectors in the file.
    public var read: Int
    /// Contents that had no vector of this model and now have one.
    public var stored: Int
    /// Contents whose vector of this model the file changed.
    public var replaced: Int
    /// Contents whose stored vector the file repeats as it is.
    public var unchanged: Int
    /// Records whose uid names no sample, left out (`--skip-unknown`).
    public var skippedUnknown: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case file, uids, format, model, dimension, dtype, read, stored, replaced, unchanged, seconds
        case skippedUnknown = "skipped_unknown"
    }
}

/// What `winnow vectors export` wrote.
public struct VectorExportResult: Codable, Sendable, Equatable {
    public var file: String
    /// The uids file written beside a `.npy` file (nil for JSON Lines).
    @NullEncodable public var uids: String?
    public var format: VectorFileFormat
    public var model: String
    public var dimension: Int
    /// Vectors written: one per active sample with a vector of the model, in sample order.
    public var vectors: Int
    public var seconds: Double
}

/// A sample near another (or near a text), for `winnow similar`.
public struct SimilarSample: Codable, Sendable, Equatable {
    public var uid: String
    public var cosine: Double
    @NullEncodable public var label: String?
    public var text: String
}

/// `winnow similar`'s answer: the query and its nearest samples, best first.
public struct SimilarResult: Codable, Sendable, Equatable {
    public var model: String
    /// The query sample's uid (nil for `--text`).
    @NullEncodable public var uid: String?
    /// The query text (nil for a uid).
    @NullEncodable public var text: String?
    public var k: Int
    public var neighbours: [SimilarSample]
}

extension Store {
    /// Imports a user's own vectors under model `name` (`winnow vectors import`): JSON Lines
    /// of uid + vector, or a `.npy` array whose row i belongs to line i of `uids`. All or
    /// nothing, in one transaction: a wrong dimension, a value that is not a finite number, a
    /// zero vector, a uid named twice, or an unknown uid (unless `skipUnknown`) stops it with
    /// `FILE:LINE` messages and the store as it was. Vectors are stored unit-length (cosine is
    /// all any command uses) on the sample's current content; a model made by `winnow embed`
    /// is not imported into. An existing imported model keeps its dimension and dtype, and the
    /// file's vectors replace its stored ones for the samples it names.
    public func importVectors(
        file: String, uids uidsPath: String? = nil, model name: String, dtype: VectorDType? = nil, skipUnknown: Bool = false,
        uidField: String = "uid", vectorField: String = "vector"
    ) throws -> VectorImportResult {
        let started = clock.now()
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw WinnowError.invalidArgument("--model needs a name for these vectors (for example --model my-encoder)") }
        let format = VectorFileFormat.guess(path: file)
        if format == .jsonl, uidsPath != nil {
            throw WinnowError.invalidArgument("--uids goes with a .npy file; a JSON Lines file names each vector's uid in its '\(uidField)' field")
        }
        let existing = try embeddingModel(named: name)
        if let existing, existing.origin == .embed {
            throw WinnowError.invalidArgument(
                "model '\(name)' holds the vectors `winnow embed` computes; import yours under another --model name")
        }
        if let existing, let dtype, dtype != existing.dtype {
            throw WinnowError.invalidArgument("model '\(name)' stores \(existing.dtype.rawValue) vectors; drop --dtype \(dtype.rawValue) or use another --model name")
        }

        // The source of records: (line, uid, vector) one at a time, or a file-level error.
        var source: VectorSource
        var problemPath = file
        switch format {
        case .jsonl:
            let expected = "vectors come as .jsonl (optionally .gz) with '\(uidField)' and '\(vectorField)' fields, or as .npy with --uids FILE"
            guard InputFormat.guess(path: file) == .jsonl else { throw WinnowError.unreadableInput(path: file, reason: expected) }
            let reader = try openRecordFile(file, expected: "vectors come as .jsonl (optionally .gz) with '\(uidField)' and '\(vectorField)' fields, or as .npy with --uids FILE")
            source = .jsonl(reader)
        case .npy:
            let array = try NumpyArray(path: file)
            let uidsFile = uidsPath ?? VectorFileFormat.defaultUIDsPath(for: file)
            let uids = try Self.readUIDs(uidsFile, given: uidsPath != nil, npy: file)
            guard uids.count == array.rows else {
                throw WinnowError.invalidArgument(
                    "\(file) has \(array.rows) rows and \(uidsFile) \(uids.count) uids; give one uid per row, in row order; nothing was imported")
            }
            if let existing, existing.dimension != array.columns {
                throw WinnowError.invalidArgument(
                    "\(file) holds vectors of \(array.columns) values; model '\(name)' has \(existing.dimension); use another --model name; nothing was imported")
            }
            problemPath = uidsFile
            source = .npy(array, uids)
        }

        var problems: [RecordProblem] = []
        var problemCount = 0
        func problem(_ line: Int, _ reason: String) {
            problemCount += 1
            if problems.count < 100 { problems.append(RecordProblem(line: line, reason: reason)) }
        }
        var result = VectorImportResult(
            file: file, uids: format == .npy ? (uidsPath ?? VectorFileFormat.defaultUIDsPath(for: file)) : nil, format: format, model: name,
            dimension: existing?.dimension ?? 0, dtype: existing?.dtype ?? dtype ?? .float32, read: 0, stored: 0, replaced: 0, unchanged: 0,
            skippedUnknown: 0, seconds: 0)
        try write { db in
            var model = existing
            var dimension = existing?.dimension
            var dimensionSource = existing.map { "model '\($0.name)' has \($0.dimension)" } ?? ""
            let lookup = try db.makeStatement(sql: "SELECT r.content_id FROM samples s \(CurrentRevision.join) WHERE s.uid = ?")
            let stored = try db.makeStatement(sql: "SELECT vector FROM vectors WHERE model_id = ? AND content_id = ?")
            let insert = try db.makeStatement(sql: "INSERT INTO vectors (model_id, content_id, vector) VALUES (?, ?, ?)")
            let update = try db.makeStatement(sql: "UPDATE vectors SET vector = ? WHERE model_id = ? AND content_id = ?")
            var seen: [Int64: (line: Int, uid: String)] = [:]
            while let record = try source.next(uidField: uidField, vectorField: vectorField) {
                result.read += 1
                let line = record.line
                guard var vector = record.vector else {
                    problem(line, record.problem ?? "unreadable")
                    continue
                }
                if let reason = VectorValues.check(&vector, dimension: dimension, dimensionSource: dimensionSource) {
                    problem(line, format == .npy ? "row \(line - 1) of \(file): \(reason)" : reason)
                    continue
                }
                if dimension == nil {
                    dimension = vector.count
                    dimensionSource = "the first vector, line \(line), has \(vector.count)"
                }
                guard let contentID = try Int64.fetchOne(lookup, arguments: [record.uid]) else {
                    if skipUnknown {
                        result.skippedUnknown += 1
                    } else {
                        problem(line, "no sample with uid '\(record.uid)' (pass --skip-unknown to leave such records out)")
                    }
                    continue
                }
                if let earlier = seen[contentID] {
                    problem(
                        line,
                        earlier.uid == record.uid
                            ? "uid '\(record.uid)' is also at line \(earlier.line); the store keeps one vector per sample and model"
                            : "uid '\(record.uid)' has the same content as uid '\(earlier.uid)' at line \(earlier.line); the store keeps one vector per content and model")
                    continue
                }
                seen[contentID] = (line, record.uid)
                guard problemCount == 0 else { continue } // nothing will be kept: only look for more problems
                if model == nil {
                    var row = EmbeddingModelRecord(
                        id: nil, name: name, dimension: Int64(vector.count), dtype: result.dtype, origin: .import, fingerprint: nil, maxTokens: nil,
                        createdAt: Timestamp.string(clock.now()))
                    try row.insert(db)
                    row.id = db.lastInsertedRowID
                    model = EmbeddingModel(row)
                }
                let blob = VectorCoding.encode(vector, as: result.dtype)
                if let old = try Data.fetchOne(stored, arguments: [model!.id, contentID]) {
                    if old == blob {
                        result.unchanged += 1
                    } else {
                        try update.execute(arguments: [blob, model!.id, contentID])
                        result.replaced += 1
                    }
                } else {
                    try insert.execute(arguments: [model!.id, contentID, blob])
                    result.stored += 1
                }
            }
            if problemCount > 0 {
                throw WinnowError.badRecords(
                    path: problemPath, problems: problems, total: problemCount, outcome: "no vectors were imported; fix these records and run again")
            }
            guard result.read > 0 else { throw WinnowError.invalidArgument("\(file) holds no vectors; nothing was imported") }
            result.dimension = dimension ?? 0
        }
        result.seconds = clock.now().timeIntervalSince(started)
        return result
    }

    /// The lines of a uids file, one uid per line (a last empty line is no uid).
    static func readUIDs(_ path: String, given: Bool, npy: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw WinnowError.unreadableInput(
                path: path,
                reason: given
                    ? "no such file"
                    : "no such file: a .npy import needs its uids, one per line in row order; pass --uids FILE (default: \((path as NSString).lastPathComponent) beside \(npy))")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw WinnowError.unreadableInput(path: path, reason: "not readable UTF-8 text; give one uid per line")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        if lines.last == "" { lines.removeLast() }
        let blank = lines.indices.filter { lines[$0].trimmingCharacters(in: .whitespaces).isEmpty }
        if !blank.isEmpty {
            throw WinnowError.badRecords(
                path: path, problems: blank.prefix(100).map { RecordProblem(line: $0 + 1, reason: "an empty uid") }, total: blank.count,
                outcome: "no vectors were imported; give one uid per line, in the .npy file's row order")
        }
        return lines
    }

    /// Writes the vectors of `model` (the only one when nil) of the active samples that have
    /// one, in sample order (`winnow vectors export`): JSON Lines `{"uid", "vector"}`, or a
    /// `.npy` float32 array (rows, dimension) plus a uids file, one uid per line in row order.
    /// JSON Lines to a name ending `.gz` are gzip-compressed. Files are written beside their paths and renamed into place when complete; an existing
    /// file is refused unless `force`.
    public func exportVectors(
        to file: String, format: VectorFileFormat? = nil, uids uidsPath: String? = nil, model name: String? = nil, force: Bool = false
    ) throws -> VectorExportResult {
        let started = clock.now()
        let model = try vectorModel(name)
        // A name ending .gz is written gzip-compressed (JSON Lines only: numpy.load reads no gzip).
        let gzip = file.lowercased().hasSuffix(".gz")
        let format = format ?? (file.lowercased().hasSuffix(".npy.gz") ? .npy : VectorFileFormat.guess(path: file))
        if gzip, format == .npy {
            throw WinnowError.invalidArgument(
                "\(file): a .npy file is written uncompressed (numpy.load reads no gzip); name it without .gz, or write JSON Lines (FILE.jsonl.gz)")
        }
        if format == .jsonl, uidsPath != nil {
            throw WinnowError.invalidArgument("--uids goes with --format npy; JSON Lines names each vector's uid on its line")
        }
        let uidsFile = format == .npy ? (uidsPath ?? VectorFileFormat.defaultUIDsPath(for: file)) : nil
        if let uidsFile, URL(fileURLWithPath: uidsFile).resolvingSymlinksInPath().path == URL(fileURLWithPath: file).resolvingSymlinksInPath().path {
            throw WinnowError.invalidArgument("--uids \(uidsFile) is the vectors file itself; name another file for the uids")
        }
        for path in [file] + (uidsFile.map { [$0] } ?? []) {
            if path == self.path { throw WinnowError.invalidArgument("\(path) is the store; write the vectors elsewhere") }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
                if isFolder.boolValue { throw WinnowError.invalidArgument("\(path) is a folder; name a file to write") }
                if !force { throw WinnowError.alreadyExists("\(path) exists; pass --force to replace it, or name another file") }
            }
        }
        let out = try StagedFile(path: file, gzip: gzip)
        let uidsOut: StagedFile?
        do { uidsOut = try uidsFile.map { try StagedFile(path: $0) } } catch {
            out.discard()
            throw error
        }
        var count = 0
        do {
            try read { db in
                let total = try Store.activeWithVector(db, model: model)
                if format == .npy { try out.write(NumpyArray.header(rows: total, columns: model.dimension)) }
                var row = [Float](repeating: 0, count: model.dimension)
                let cursor = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT s.uid, v.vector FROM samples s \(CurrentRevision.join)
                        JOIN vectors v ON v.model_id = ? AND v.content_id = r.content_id
                        WHERE s.status = '\(SampleStatus.active.rawValue)' ORDER BY s.id
                        """, arguments: [model.id])
                while let r = try cursor.next() {
                    let uid: String = try r.value("uid")
                    let ok = try r.withUnsafeData(atIndex: 1) { data -> Bool in
                        guard let data else { return false }
                        return data.withUnsafeBytes { raw in
                            row.withUnsafeMutableBufferPointer { VectorCoding.decode(raw, as: model.dtype, dimension: model.dimension, into: $0.baseAddress!) }
                        }
                    }
                    guard ok else {
                        throw WinnowError.unexpectedValue(path: path, detail: "a vector of model '\(model.name)' that is not \(model.dimension) \(model.dtype.rawValue) values")
                    }
                    switch format {
                    case .jsonl:
                        try out.write("{\"uid\":\(JSONText.quote(uid)),\"vector\":[\(row.map { "\($0)" }.joined(separator: ","))]}\n")
                    case .npy:
                        var bytes = Data(capacity: model.dimension * 4)
                        for value in row { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
                        try out.write(bytes)
                        try uidsOut?.write(uid + "\n")
                    }
                    count += 1
                }
                guard count == total else { throw WinnowError.storeBusy("the store changed while the vectors were read; run the export again") }
            }
            try uidsOut?.commit()
            try out.commit()
        } catch {
            out.discard()
            uidsOut?.discard()
            throw error
        }
        return VectorExportResult(
            file: file, uids: uidsFile, format: format, model: model.name, dimension: model.dimension, vectors: count,
            seconds: clock.now().timeIntervalSince(started))
    }

    /// The `k` active samples nearest to sample `uid` by cosine of their vectors of `model`
    /// (the only one when nil), best first, the sample itself left out.
    public func similar(to uid: String, k: Int, model name: String? = nil) throws -> SimilarResult {
        let model = try vectorModel(name)
        guard try currentContentID(uid: uid) != nil else { throw WinnowError.unknownSample(uid: uid) }
        let vectors = try sampleVectors(model: model)
        guard let index = vectors.uids.firstIndex(of: uid) else {
            let dropped = try read { db in try String.fetchOne(db, sql: "SELECT status FROM samples WHERE uid = ?", arguments: [uid]) } == SampleStatus.dropped.rawValue
            throw WinnowError.notFound(
                dropped
                    ? "sample \(uid) is dropped; `similar` searches the active samples"
                    : "sample \(uid) has no vector of model '\(model.name)'; run `winnow embed` (or import one with `winnow vectors import`)")
        }
        let query = vectors.matrix.rows([index])
        let found = VectorSearch.nearest(query, in: vectors.matrix, k: k + 1)[0].filter { $0.index != index }.prefix(k)
        return SimilarResult(model: model.name, uid: uid, text: nil, k: k, neighbours: try describe(Array(found), in: vectors))
    }

    /// The `k` active samples nearest to `vector` (a unit-length vector of `model`'s space,
    /// such as the encoder's embedding of a text), best first.
    public func similar(toVector vector: [Float], text: String, k: Int, model: EmbeddingModel) throws -> SimilarResult {
        let vectors = try sampleVectors(model: model)
        var query = VectorMatrix([vector], dimension: model.dimension)
        query.normalizeRows()
        let found = VectorSearch.nearest(query, in: vectors.matrix, k: k)[0]
        return SimilarResult(model: model.name, uid: nil, text: text, k: k, neighbours: try describe(found, in: vectors))
    }

    /// Uid, cosine, label and text of each neighbour.
    private func describe(_ found: [Neighbour], in vectors: SampleVectors) throws -> [SimilarSample] {
        try read { db in
            try found.map { n in
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT \(ContentColumns.selectList()) FROM samples s \(CurrentRevision.joinWithContent) WHERE s.id = ?",
                    arguments: [vectors.sampleIDs[n.index]])
                let text = try row.map { try ContentColumns.content($0).plainText } ?? ""
                return SimilarSample(uid: vectors.uids[n.index], cosine: Double(n.cosine), label: vectors.labels[n.index], text: text)
            }
        }
    }
}

/// Where `importVectors` takes its records from.
private enum VectorSource {
    case jsonl(RecordReader)
    case npy(NumpyArray, [String])
    case npyAt(NumpyArray, [String], Int)

    /// The next record: its line, uid and vector, or its problem.
    mutating func next(uidField: String, vectorField: String) throws -> (line: Int, uid: String, vector: [Float]?, problem: String?)? {
        switch self {
        case .jsonl(let reader):
            guard let item = try reader.next() else { return nil }
            switch item {
            case .bad(let problem, _): return (problem.line, "", nil, problem.reason)
            case .record(let line, let fields):
                let uid = (fields[uidField] as? String) ?? (fields[uidField] as? NSNumber).flatMap { RecordBuilder.isBoolean($0) ? nil : $0.stringValue }
                guard let uid, !uid.isEmpty else { return (line, "", nil, "no '\(uidField)' field (pass --uid-field to name it)") }
                switch VectorValues.parse(fields[vectorField], field: vectorField) {
                case .success(let vector): return (line, uid, vector, nil)
                case .failure(let reason): return (line, uid, nil, reason.text)
                }
            }
        case .npy(let array, let uids):
            self = .npyAt(array, uids, 0)
            return try next(uidField: uidField, vectorField: vectorField)
        case .npyAt(let array, let uids, let row):
            guard row < array.rows else { return nil }
            self = .npyAt(array, uids, row + 1)
            var vector = [Float](repeating: 0, count: array.columns)
            vector.withUnsafeMutableBufferPointer { array.readRow(row, into: $0.baseAddress!) }
            return (row + 1, uids[row], vector, nil)
        }
    }
}

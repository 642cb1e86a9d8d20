import Foundation

/// The parsing side of an import: reads the input, decodes its records, maps their fields,
/// normalises and hashes them on a thread of its own, and hands them to the writer
/// (`ImportWriter`) in batches over a bounded channel.
final class ImportParser: @unchecked Sendable {
    let input: InputFile
    let display: String
    let format: InputFormat
    let options: ImportOptions
    let channel: Channel<ParsedMessage>
    static let batchSize = 256

    init(input: InputFile, format: InputFormat, options: ImportOptions, channel: Channel<ParsedMessage>) {
        self.input = input
        self.display = input.displayPath
        self.format = format
        self.options = options
        self.channel = channel
    }

    func run() {
        do {
            try parse()
        } catch {
            _ = channel.send(.failed(error))
        }
        channel.close()
    }

    private func parse() throws {
        let source = try openRecords(input, format: format, maxRecordBytes: options.maxRecordBytes)
        let (records, header) = (source.reader, source.header)
        // With --on-error skip the file is written as it is read: a --map field must show in
        // the lookahead window, before anything is written (abort mode checks the whole file).
        let reader = try MappingLookahead(
            records, header: header, path: display, kind: options.kind, overrides: options.map,
            strict: options.strictMap, windowOnly: options.onError == .skip)
        let builder = RecordBuilder(mapping: reader.mapping)
        let keepRaw = options.rejectsPath != nil && options.onError == .skip
        if reader.resolved { _ = channel.send(.mapping(reader.mapping)) }
        var pending: [ParsedItem] = []
        pending.reserveCapacity(ImportParser.batchSize)
        func flush() -> Bool {
            if pending.isEmpty { return true }
            let ok = channel.send(.batch(pending, rawBytes: source.rawBytes()))
            pending.removeAll(keepingCapacity: true)
            return ok
        }
        while let item = try reader.next() {
            switch item {
            case .bad(let problem, let raw):
                pending.append(.bad(problem, raw: raw))
            case .record(let line, let fields):
                do {
                    var record = try builder.build(fields, line: line)
                    // A record with its own id may yet be refused by the store (the id is taken):
                    // with a rejects file it carries its text along for that case.
                    if keepRaw && record.recordID != nil { record.raw = reader.lastRaw }
                    pending.append(.record(record))
                } catch {
                    pending.append(.bad(RecordProblem(line: line, reason: error.reason), raw: reader.lastRaw))
                }
            }
            if pending.count >= ImportParser.batchSize, !flush() { return }
        }
        if !reader.resolved && pending.isEmpty {
            throw WinnowError.unreadableInput(path: display, reason: "the file holds no records; nothing to import")
        }
        let warnings = try reader.finish()
        if !warnings.isEmpty { _ = channel.send(.warnings(warnings)) }
        guard flush() else { return }
        _ = channel.send(.finished(sha256: try source.fileDigest(), compressed: source.compressed))
    }
}

import Foundation

/// A bounded hand-off from the parsing thread to the writing thread: parsing, normalising
/// and hashing run on one core while SQLite writes on the other, and memory stays bounded.
final class Channel<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var closed = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full; returns false once the consumer has cancelled.
    func send(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Marks the end of the stream.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Tells the producer to stop.
    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until an item arrives; nil once closed and drained.
    func receive() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        if items.isEmpty { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }
}

/// What the parsing thread sends to the writer.
enum ParsedMessage: @unchecked Sendable {
    /// The file's field mapping, resolved over its first records; always the first message.
    case mapping(FieldMapping)
    /// A run of records and problems, in file order, with the raw bytes read so far.
    case batch([ParsedItem], rawBytes: Int)
    /// What the mapping ignored (label or id fields), sent before `finished`.
    case warnings([String])
    /// The parser stopped on an error that concerns the whole file.
    case failed(Error)
    /// The whole file was read: its SHA-256, and whether it was gzip.
    case finished(sha256: String, compressed: Bool)
}

enum ParsedItem: Sendable {
    case record(PreparedRecord)
    case bad(RecordProblem, raw: String?)
}

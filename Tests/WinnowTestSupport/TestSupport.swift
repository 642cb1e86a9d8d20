import Foundation
import WinnowKit

// What both test targets share: temporary folders and stores, the repository's paths, a clock
// a test moves by hand, and the seeded corpus generator. Each target re-exports this module.

/// A fresh temporary folder per test, removed when the value goes away.
public final class TempDir: @unchecked Sendable {
    public let url: URL
    /// The folder's path.
    public var path: String { url.path }

    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// The path of `name` inside the folder (the CLI tests' spelling).
    public func file(_ name: String) -> String { path(name) }

    /// Writes `text` to a file of this folder; returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let p = path(name)
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    /// A new store `w.db` in this folder, on `clock`.
    public func store(clock: WallClock = .system) throws -> Store {
        try Store(path: path("w.db"), mode: .createIfMissing, clock: clock)
    }
}

/// The repository's root folder.
public let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
/// The repository's Tests/Fixtures folder.
public let fixtures = repoRoot + "/Tests/Fixtures"

/// A clock a test moves by hand: leases expire without a sleep.
public final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var date: Date

    public init(_ date: Date = Date(timeIntervalSince1970: 1_800_000_000)) { self.date = date }

    /// The time it shows.
    public var now: Date { lock.withLock { date } }

    /// Moves it on by `seconds`.
    public func advance(_ seconds: TimeInterval) { lock.withLock { date = date.addingTimeInterval(seconds) } }

    /// The store's view of it.
    public var wallClock: WallClock { WallClock(now: { [self] in self.now }) }
}

/// The seeded corpus generator of the tests (the benchmarks' is scripts/gen-corpus).
public enum SeededCorpus {
    /// A deterministic corpus big enough that an import takes a noticeable time.
    public static func write(_ path: String, records: Int) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let words = (0..<2000).map { "w\($0)" }
        var out = ""
        out.reserveCapacity(records * 400)
        for i in 0..<records {
            let n = 30 + Int(next() % 60)
            var text = ""
            if i > 10 && next() % 20 == 0 {
                text = "duplicate number \(next() % 50)" // planted exact duplicates
            } else {
                for _ in 0..<n { text += words[Int(next() % 2000)] + " " }
            }
            out += "{\"id\": \"r\(i)\", \"text\": \"\(text)\", \"label\": \"l\(next() % 4)\", \"domain\": \"d\(next() % 3)\"}\n"
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// Vectors written straight into a store for tests of what reads them: `vectors[uid]` is
/// stored for the current content of sample `uid`, under model `model` (made if missing).
public func storeTestVectors(
    _ store: Store, model name: String = "test-model", dtype: VectorDType = .float32, _ vectors: [String: [Float]]
) throws
    -> EmbeddingModel
{
    let dimension = vectors.values.first?.count ?? 1
    let model = try store.registerEmbeddingModel(name: name, dimension: dimension, dtype: dtype, origin: .import)
    var rows: [(contentID: Int64, vector: [Float])] = []
    for (uid, vector) in vectors.sorted(by: { $0.key < $1.key }) {
        guard let content = try store.currentContentID(uid: uid) else { throw WinnowError.unknownSample(uid: uid) }
        rows.append((content, vector))
    }
    try store.storeVectors(rows, model: model)
    return model
}

import Crypto
import Foundation
import Testing
@testable import WinnowKit

/// `Store.export` returns the manifest as a value; manifest.json is that value's `text()`,
/// with the keys in the order exports always wrote them, and says what its `Encodable` form says.
@Suite struct ExportManifestTests {
    /// The demo reviews and sentence pairs, near duplicates flagged, one snapshot.
    func store(_ dir: TempDir) throws -> Store {
        let store = try dir.store()
        var skip = ImportOptions()
        skip.onError = .skip
        _ = try Importer(store: store, options: skip).importFile(repoRoot + "/demo/reviews.jsonl")
        _ = try Importer(store: store, options: ImportOptions()).importFile(repoRoot + "/demo/nli.csv")
        _ = try store.detect([.nearDuplicate], config: DetectConfig())
        _ = try store.createSnapshot(name: "v1", message: nil, selection: SnapshotSelection())
        return store
    }

    @Test func theFileIsTheReturnedManifest() throws {
        let dir = TempDir()
        let store = try store(dir)
        var options = ExportOptions(out: dir.path("out"))
        options.format = .hf
        options.split = [("train", 0.8), ("validation", 0.1), ("test", 0.1)]
        options.group = .nearDuplicate
        let result = try store.export(snapshot: "v1", options: options)
        let file = try #require(FileManager.default.contents(atPath: dir.path("out/manifest.json")))
        #expect(String(decoding: file, as: UTF8.self) == (try result.manifest.text()) + "\n")

        let manifest = result.manifest
        #expect(manifest.snapshot == "v1" && manifest.format == "hf" && manifest.group == "near-duplicate")
        #expect(manifest.splits.splits.map(\.name) == ["train", "validation", "test"])
        #expect(manifest.splits.splits.reduce(0) { $0 + $1.count } == Int(try store.read { try Int.fetchOne($0, sql: "SELECT members FROM snapshots") ?? 0 }))
        for split in manifest.splits.splits {
            let bytes = try #require(FileManager.default.contents(atPath: dir.path("out/" + split.file)))
            #expect(bytes.count == split.bytes && ContentHash.hex(Array(SHA256.hash(data: bytes))) == split.sha256)
        }

        // The keys, in the order manifests have always had them.
        let text = String(decoding: file, as: UTF8.self)
        let keys = [
            "snapshot", "fingerprint", "tool_version", "format", "seed", "scheme", "stratify", "group", "labels",
            "class_weights", "class_weights_over", "train_class_weights", "splits", "coverage", "flags", "review",
        ]
        #expect(ExportManifest.keyOrder.map(\.rawValue) == keys)
        #expect(Set(ExportManifest.CodingKeys.allCases.map(\.rawValue)) == Set(keys + ["resample", "data"])) // resample: only with --resample; data: only for hf --data parquet
        let positions = keys.enumerated().map { i, key in text.range(of: (i == 0 ? "{" : ",") + "\"\(key)\":")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil } && positions.map { $0! } == positions.map { $0! }.sorted())

        // The Encodable form says the same as the file (numbers as numbers: 1.0 == 1).
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(manifest)) as? NSDictionary
        let written = try JSONSerialization.jsonObject(with: file) as? NSDictionary
        #expect(encoded != nil && encoded == written)
    }
}

/// A resampled export's manifest: counts, labels and checksums are those of the lines
/// written (copies included), and its `resample` section is the plan's.
@Suite struct ExportResamplingManifestTests {
    @Test func checksumsAndCountsCoverTheResampledFiles() throws {
        let dir = TempDir()
        let store = try ExportManifestTests().store(dir)
        for format in [ExportFormat.hf, .csv, .jsonl] {
            var options = ExportOptions(out: dir.path("out-\(format.rawValue)"))
            options.format = format
            options.split = [("train", 0.8), ("test", 0.2)]
            options.scheme = "r-\(format.rawValue)"
            var resample = ResampleOptions(subject: .labels)
            resample.maxCopies = 2
            options.resample = resample
            let result = try store.export(snapshot: "v1", options: options)
            let manifest = result.manifest
            let section = try #require(manifest.resample)
            let train = try #require(section.splits["train"])
            #expect(section.splits.keys.sorted() == ["train"])
            #expect(result.resampled.count == 1 && result.resampled[0].hasPrefix("resampled train (labels to uniform, over): "))
            for split in manifest.splits.splits {
                let bytes = try #require(FileManager.default.contents(atPath: dir.path("out-\(format.rawValue)/" + split.file)))
                #expect(bytes.count == split.bytes && ContentHash.hex(Array(SHA256.hash(data: bytes))) == split.sha256)
                let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").count - (format == .csv ? 1 : 0)
                if format != .csv { #expect(lines == split.count, "\(format) \(split.name)") } // csv cells may hold line breaks
            }
            let written = try #require(manifest.splits.splits.first { $0.name == "train" })
            #expect(written.count == train.countAfter)
            // Per label, the lines written are the plan's counts after (every sample is labelled here).
            for category in train.categories { #expect(written.labels[category.name] ?? 0 == category.after, "\(category.name)") }
            // --max-copies 2 cannot lift every label to the largest, so some fall short and say so.
            #expect(train.categories.allSatisfy { $0.after <= 2 * $0.before })
            #expect(try #require(train.klAfter) < (try #require(train.klBefore)))
        }
    }

    @Test func theLibraryRefusesWhatTheCommandLineRefuses() throws {
        var options = ResampleOptions(subject: .labels)
        options.weights = true
        options.strategy = .under
        #expect(throws: WinnowError.self) { try options.check() }
        options = ResampleOptions(subject: .scene("domain"))
        options.splits = ["train", "train"]
        #expect(throws: WinnowError.self) { try options.check() }
        options.splits = nil
        options.size = 5
        #expect(throws: WinnowError.self) { try options.check() } // --size without both
        options.strategy = .both
        try options.check()
    }
}

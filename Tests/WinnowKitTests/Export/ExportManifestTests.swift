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
        options.groupNearDuplicates = true
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
        #expect(Set(ExportManifest.CodingKeys.allCases.map(\.rawValue)) == Set(keys + ["resample"])) // resample: only with --resample
        let positions = keys.enumerated().map { i, key in text.range(of: (i == 0 ? "{" : ",") + "\"\(key)\":")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil } && positions.map { $0! } == positions.map { $0! }.sorted())

        // The Encodable form says the same as the file (numbers as numbers: 1.0 == 1).
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(manifest)) as? NSDictionary
        let written = try JSONSerialization.jsonObject(with: file) as? NSDictionary
        #expect(encoded != nil && encoded == written)
    }
}

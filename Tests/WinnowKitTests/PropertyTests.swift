import Crypto
import Foundation
import Testing
@testable import WinnowKit

/// RELIABILITY B6: properties checked over seeded random cases. Each case's seed is printed on
/// failure so it can be replayed; WINNOW_PROPERTY_COUNT raises the count (the longer tier
/// runs 1,000 or more; the PR tier 100–200).
@Suite struct PropertyTests {
    static let count = Int(ProcessInfo.processInfo.environment["WINNOW_PROPERTY_COUNT"] ?? "") ?? 150

    /// A small, seedable generator (SplitMix64), so a failing case replays from its seed.
    struct Gen: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
        /// Text with the characters parsers get wrong: quotes, commas, line breaks, control
        /// characters, backslashes, U+2028, non-ASCII, leading formula characters.
        mutating func text(maxLength: Int = 40) -> String {
            let alphabet: [Character] = [
                "a", "b", "Z", " ", ",", ";", "\"", "'", "\\", "\n", "\r", "\t", "=", "+", "-", "@",
                "é", "日", "🙂", "\u{2028}", "\u{1}", "\u{1F}", "\u{7F}", "{", "}", "[", "]", ":",
            ]
            return String((0..<int(0...maxLength)).map { _ in alphabet[int(0...(alphabet.count - 1))] })
        }
    }

    @Test func jsonStringsRoundTrip() throws {
        for seed in 1...UInt64(Self.count) {
            var g = Gen(state: seed)
            let text = g.text()
            let quoted = JSONText.quote(text)
            let back = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
            #expect(back == [text], "seed \(seed): \(text.debugDescription) -> \(quoted)")
            #expect(!quoted.contains("\n") && !quoted.contains("\u{2028}"), "seed \(seed): a raw line break in a JSONL line")
        }
    }

    @Test func csvCellsRoundTripThroughTheReader() throws {
        let dir = TempDir()
        for seed in 1...UInt64(max(1, Self.count / 10)) {
            var g = Gen(state: seed)
            var rows: [[String]] = []
            var file = "a,b\n"
            for _ in 0..<20 {
                // A cell that is empty or starts with a BOM cannot round-trip as the first
                // column of a line; the writer never emits those for the uid column either.
                let row = ["x" + g.text(), g.text()]
                rows.append(row)
                file += row.map { CSVExport.cell($0, raw: true) }.joined(separator: ",") + "\n"
            }
            let path = dir.write("p\(seed).csv", file)
            let reader = try openRecordFile(path, expected: "csv")
            var back: [[String]] = []
            while let item = try reader.next() {
                guard case .record(_, let fields) = item else { Issue.record("seed \(seed): a written row was refused"); continue }
                back.append([fields["a"] as? String ?? "?", fields["b"] as? String ?? "?"])
            }
            // Line ends inside quoted cells come back as written except a lone CR, which
            // readers normalise; compare with CR LF and lone CR folded to LF.
            func fold(_ s: String) -> String { s.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n") }
            let same = back.map { $0.map(fold) } == rows.map { $0.map(fold) }
            if !same { try? FileManager.default.copyItem(atPath: path, toPath: FileManager.default.temporaryDirectory.path + "/winnow-property-csv-\(seed).csv") }
            #expect(same, "seed \(seed) (file kept as winnow-property-csv-\(seed).csv in the temporary folder)")
        }
    }

    /// Export writes text samples' jsonl lines straight from the store's bytes; they must be
    /// the bytes the general formatter (`LineWriter.jsonl`) writes for every other sample.
    @Test func fastTextLinesEqualTheGeneralFormatter() throws {
        let dir = TempDir()
        var expected = ""
        let writer = try SplitWriter(url: URL(fileURLWithPath: dir.path("fast.jsonl")), file: "fast.jsonl")
        for seed in 1...UInt64(Self.count) {
            var g = Gen(state: seed)
            let member = ExportMember(
                sampleID: Int64(seed), contentID: Int64(seed), uid: "u" + g.text(maxLength: 8), kind: .text,
                label: g.int(0...3) == 0 ? nil : g.text(maxLength: 6), score: nil,
                scenes: (0..<g.int(0...2)).map { ("d\($0)", g.text(maxLength: 5)) })
            let text = g.text(maxLength: 80)
            let bytes = Array(text.utf8)
            try bytes.withUnsafeBufferPointer { try writer.writeTextLine(member, text: $0) }
            expected += LineWriter.jsonl(member, .text(text)) + "\n"
        }
        try writer.close()
        let written = try #require(FileManager.default.contents(atPath: dir.path("fast.jsonl")))
        #expect(String(decoding: written, as: UTF8.self) == expected)
        #expect(writer.digest == ContentHash.hex(Array(SHA256.hash(data: Data(expected.utf8)))))
    }

    @Test func splitAssignmentKeepsItsInvariants() throws {
        let ratios: [(String, Double)] = [("train", 0.7), ("validation", 0.2), ("test", 0.1)]
        let names = Set(ratios.map(\.0))
        for seed in 1...UInt64(Self.count) {
            var g = Gen(state: seed)
            let n = g.int(1...300)
            var units: [Splits.Unit] = []
            for i in 0..<n {
                let size = g.int(0...9) == 0 ? g.int(2...5) : 1 // some near-duplicate clusters
                let existing: String? = g.int(0...5) == 0 ? ratios[g.int(0...2)].0 : nil
                units.append(
                    Splits.Unit(
                        key: "u\(i)", members: (0..<size).map { Int64(i * 10 + $0) },
                        stratum: "s\(g.int(0...3))", existing: existing))
            }
            let placed = Splits.assign(units, ratios: ratios, seed: seed)
            #expect(placed.count == units.count)
            #expect(placed.allSatisfy(names.contains), "seed \(seed): an unknown split")
            for (u, split) in zip(units, placed) where u.existing != nil {
                #expect(split == u.existing, "seed \(seed): an assigned unit moved")
            }
            // Deterministic and independent of the input order.
            var shuffled = Array(zip(units, placed))
            shuffled.shuffle(using: &g)
            let again = Splits.assign(shuffled.map(\.0), ratios: ratios, seed: seed)
            #expect(again == shuffled.map(\.1), "seed \(seed): depends on the order of the units")
            // With single-sample units and nothing assigned before, each stratum's splits are
            // within one sample of the target.
            let singles = units.enumerated().map { Splits.Unit(key: "s\($0.offset)", members: [Int64($0.offset)], stratum: $0.element.stratum, existing: nil) }
            let fresh = Splits.assign(singles, ratios: ratios, seed: seed)
            for stratum in Set(singles.map(\.stratum)) {
                let inStratum = singles.indices.filter { singles[$0].stratum == stratum }
                for (name, ratio) in ratios {
                    let got = inStratum.filter { fresh[$0] == name }.count
                    #expect(
                        abs(Double(got) - ratio * Double(inStratum.count)) <= 1.0 + 1e-9,
                        "seed \(seed): stratum \(stratum) has \(got) in \(name) of \(inStratum.count)")
                }
            }
        }
    }
}

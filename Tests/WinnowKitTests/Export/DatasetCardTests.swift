import Foundation
import Testing
@testable import WinnowKit

/// The hf card's pieces that need no store (issue 18 item 1), and the stored ratios a
/// reused scheme is read back from (item 8).
@Suite struct DatasetCardTests {
    @Test func yamlQuotingEscapesWhatPyYAMLWouldRefuseOrFold() {
        #expect(DatasetCard.quote("plain") == "\"plain\"")
        #expect(DatasetCard.quote("a: \"q\" \\ b") == "\"a: \\\"q\\\" \\\\ b\"")
        #expect(DatasetCard.quote("line\nnext\ttab\u{1}") == "\"line\\nnext\\ttab\\x01\"")
        #expect(DatasetCard.quote("\u{85}\u{2028}\u{FEFF}") == "\"\\u0085\\u2028\\uFEFF\"")
        #expect(DatasetCard.quote("日本 😀 é") == "\"日本 😀 é\"")
    }

    @Test func featuresMergeNullsWidenIntegersAndFlagConflicts() {
        typealias F = DatasetCard.Feature
        #expect(DatasetCard.feature(of: .number("3")) == .int64)
        #expect(DatasetCard.feature(of: .number("3.5")) == .float64)
        #expect(DatasetCard.merge(.int64, .float64) == .float64)
        #expect(DatasetCard.merge(.null, .string) == .string)
        #expect(DatasetCard.feature(of: .array([.null, .number("1"), .number("2e3")])) == .list(.float64))
        let a = DatasetCard.feature(of: .object(["id": .string("x")]))
        let b = DatasetCard.feature(of: .object(["n": .bool(true)]))
        #expect(DatasetCard.merge(a, b) == .fields(["id": .string, "n": .bool]))
        #expect(DatasetCard.merge(.string, .int64) == .conflict)
        #expect(DatasetCard.merge(.list(.string), .list(.bool)).hasConflict)
        // A conflicting message key: no features at all rather than a wrong one.
        var shape = DatasetCard.Shape()
        shape.add(ExportMember(sampleID: 1, contentID: 1, uid: "c", kind: .chat, label: nil, score: nil, scenes: []))
        shape.add([ChatMessage(role: "user", content: "x", extra: ["name": .string("a")])])
        #expect(shape.features?.first { $0.0 == "messages" }?.1 == .list(.fields(["role": .string, "content": .string, "name": .string])))
        shape.add([ChatMessage(role: "user", content: "x", extra: ["name": .number("1")])])
        #expect(shape.features == nil)
    }

    @Test func featureYAMLHasDatasetsShape() {
        #expect(
            DatasetCard.entry("scenes", .fields(["b": .string, "a": .string]), indent: 2)
                == ["  - name: \"scenes\"", "    struct:", "    - name: \"a\"", "      dtype: string", "    - name: \"b\"", "      dtype: string"])
        #expect(
            DatasetCard.entry("m", .list(.fields(["role": .string])), indent: 2)
                == ["  - name: \"m\"", "    list:", "    - name: \"role\"", "      dtype: string"])
        #expect(DatasetCard.entry("t", .list(.list(.int64)), indent: 0) == ["- name: \"t\"", "  list:", "    list: int64"])
        #expect(DatasetCard.entry("n", .null, indent: 0) == ["- name: \"n\"", "  dtype: \"null\""])
        #expect(DatasetCard.entry("s", .fields([:]), indent: 0) == ["- name: \"s\"", "  struct: []"])
    }

    @Test func storedRatiosReadBackInTheirOrder() throws {
        let ratios: [(String, Double)] = [("train", 0.8), ("validation", 0.1), ("test", 0.1)]
        let json = Splits.json(ratios)
        #expect(json == "{\"train\":0.8,\"validation\":0.1,\"test\":0.1}")
        let back = try #require(Splits.ratios(json: json))
        #expect(back.map(\.0) == ["train", "validation", "test"])
        #expect(back.map(\.1) == [0.8, 0.1, 0.1])
        #expect(Splits.ratios(json: "{\"train\":x}") == nil)
        #expect(Splits.ratios(json: "") == nil)
        #expect(Splits.option(back) == "--split train=0.8,validation=0.1,test=0.1")
        #expect(Splits.option((0..<3).map { ("fold-\($0)", 1 / 3.0) }) == "--kfold 3")
    }
}

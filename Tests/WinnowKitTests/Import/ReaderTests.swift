import Foundation
import Testing
@testable import WinnowKit

@Suite struct ReaderTests {
    @Test func csvValidEdgeCasesRoundTrip() throws {
        let items = try readAll(fixtures + "/bad/valid_edge_cases.csv", format: .csv)
        #expect(items.map(\.line) == [2, 4, 5, 6])
        #expect(items[0].fields?["text"] as? String == "line one\nline two")
        #expect(items[1].fields?["text"] as? String == "say \"hi\"")
        #expect(items[2].fields?["text"] as? String == "comma, inside")
        #expect(items[3].fields?["text"] as? String == "")
        #expect(items[3].fields?["label"] as? String == "d")
    }

    @Test func csvRaggedRowsAreReportedWithTheirLines() throws {
        let items = try readAll(fixtures + "/bad/ragged_columns.csv", format: .csv)
        #expect(items.map(\.line) == [2, 3, 4, 5])
        #expect(items[1].reason == "1 fields, expected 2 (the header has 2 columns); check for a stray comma or an unquoted delimiter")
        #expect(items[2].reason?.hasPrefix("3 fields, expected 2") == true)
        #expect(items[3].fields?["text"] as? String == "fine")
    }

    @Test func csvUnbalancedQuoteIsReportedAtTheRecordStart() throws {
        let items = try readAll(fixtures + "/bad/unbalanced_quote.csv", format: .csv)
        #expect(items.count == 2)
        #expect(items[1].line == 3)
        #expect(items[1].reason?.contains("unterminated quoted field") == true)
    }

    @Test func tsvReadsTabs() throws {
        let dir = TempDir()
        let path = dir.write("x.tsv", "text\tlabel\nhello, world\ta\n")
        let items = try readAll(path, format: .tsv)
        #expect(items[0].fields?["text"] as? String == "hello, world")
    }

    @Test func jsonArrayIsStreamedWithTheLineOfEachElement() throws {
        let dir = TempDir()
        let path = dir.write("a.json", "[\n  {\"text\": \"a\\n[b]\"},\n  {\"text\":\n    \"c\"},\n  7\n]\n")
        let items = try readAll(path, format: .json)
        #expect(items.map(\.line) == [2, 3, 5])
        #expect(items[0].fields?["text"] as? String == "a\n[b]")
        #expect(items[1].fields?["text"] as? String == "c")
        #expect(items[2].reason == "the record is a number, expected a JSON object")
    }

    @Test func jsonLinesReportsEachKindOfBadLine() throws {
        let cases: [(String, Int, String)] = [
            ("invalid_json.jsonl", 2, "invalid JSON: Unexpected end of file during JSON parse."),
            ("invalid_utf8.jsonl", 2, "invalid UTF-8 (byte 0xE9 at column 25); re-encode the file as UTF-8"),
            ("nul_byte.jsonl", 2, "NUL byte at column 23; the line holds binary data, not text"),
            ("bom_not_at_start.jsonl", 2, "byte-order mark (BOM) at the start of the line; only the file's first line may carry one"),
            ("non_object.jsonl", 2, "the record is an array, expected a JSON object"),
            ("deep_nesting.jsonl", 2, "invalid JSON: Too many nested arrays or dictionaries around character 545."),
            ("number_overflow.jsonl", 2, "invalid JSON: Number 1e999 is not representable in Swift."),
        ]
        for (file, line, reason) in cases {
            let items = try readAll(fixtures + "/bad/" + file, format: .jsonl)
            let bad = items.filter { $0.reason != nil }
            #expect(bad.first?.line == line, "\(file)")
            #expect(bad.first?.reason == reason, "\(file)")
        }
    }

    @Test func overLongLinesAreRejectedAndReadingGoesOn() throws {
        let items = try readAll(fixtures + "/bad/over_long_line.jsonl", format: .jsonl, maxRecordBytes: 1000)
        #expect(items.map(\.line) == [1, 2, 3])
        #expect(items[1].reason == "line is 5023 bytes, over the limit of 1000 (--max-record-bytes)")
        #expect(items[2].fields?["id"] as? String == "g3")
    }

    @Test func linesLongerThanTheReadChunkAreWhole() throws {
        let dir = TempDir()
        let long = String(repeating: "word ", count: 500_000) // 2.5 MB, over the 1 MiB chunk
        let path = dir.write("long.jsonl", "{\"text\": \"\(long)\"}\n{\"text\": \"short\"}")
        let items = try readAll(path, format: .jsonl, maxRecordBytes: 16 << 20)
        #expect(items.count == 2)
        #expect((items[0].fields?["text"] as? String)?.count == long.count)
        #expect(items[1].fields?["text"] as? String == "short") // no final newline
    }

    @Test func gzipIsReadTransparentlyAndTruncationIsCaught() throws {
        let items = try readAll(repoRoot + "/demo/chats.jsonl.gz", format: .jsonl)
        #expect(items.count == 20)
        #expect(throws: WinnowError.self) { try readAll(fixtures + "/bad/truncated.jsonl.gz", format: .jsonl) }
    }
}

import Foundation
import Testing
@testable import WinnowKit

/// The page-body encoders (and the shared RLEHybrid.encode the levels go through), on figures
/// worked out by hand from the format's Encodings.md.
@Suite struct ParquetEncodingTests {
    @Test func bitWidthsOfLevels() {
        #expect([0, 1, 2, 3, 4, 7, 8].map { bitWidth($0) } == [0, 1, 2, 2, 3, 3, 4])
    }

    @Test func aLongRunIsOneRLERun() {
        #expect(RLEHybrid.encode([UInt32](repeating: 1, count: 10), bitWidth: 1) == [0x14, 0x01]) // header 10 << 1, then the value in one byte
        var out: [UInt8] = []
        ParquetEncoder.levels([UInt8](repeating: 1, count: 10), bitWidth: 1, into: &out)
        #expect(out == [2, 0, 0, 0, 0x14, 0x01]) // v1 pages: the 4-byte length first
    }

    @Test func shortRunsAreBitPackedLowestBitFirst() {
        #expect(RLEHybrid.encode([0, 1, 0, 1, 0, 1, 0, 1], bitWidth: 1) == [0x03, 0xAA]) // one group: header 1 << 1 | 1; bits 1, 3, 5, 7 set
        #expect(RLEHybrid.encode([1, 2, 3], bitWidth: 2) == [0x03, 0x39, 0x00]) // 01 | 10 << 2 | 11 << 4, padded to a group of 8
    }

    @Test func plainValues() {
        var out: [UInt8] = []
        ParquetEncoder.plain(string: "ab", into: &out)
        ParquetEncoder.plain(int64: -2, into: &out)
        ParquetEncoder.plain(double: 1, into: &out)
        ParquetEncoder.plain(booleans: [true, false, true], into: &out)
        #expect(out == [2, 0, 0, 0, 0x61, 0x62] + [0xFE] + [UInt8](repeating: 0xFF, count: 7) + [0, 0, 0, 0, 0, 0, 0xF0, 0x3F] + [0x05])
    }

    /// Mixed runs of every length decode back (by the decoder the format describes, written here).
    @Test func hybridRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        for bitWidth in 1...3 {
            for _ in 0..<200 {
                var values: [UInt8] = []
                while values.count < 300 {
                    let v = UInt8.random(in: 0..<(1 << UInt8(bitWidth)), using: &generator)
                    values += [UInt8](repeating: v, count: [1, 1, 2, 7, 8, 9, 20].randomElement(using: &generator)!)
                }
                values = Array(values.prefix(Int.random(in: 0...300, using: &generator)))
                let out = RLEHybrid.encode(values.map(UInt32.init), bitWidth: bitWidth)
                #expect(Self.decode(out, bitWidth: bitWidth, count: values.count) == values)
                var back: [UInt8] = []
                try out.withUnsafeBytes { try RLEHybrid.decode($0, bitWidth: bitWidth, count: values.count) { back.append(UInt8($0)) } }
                #expect(back == values)
            }
        }
    }

    static func decode(_ bytes: [UInt8], bitWidth: Int, count: Int) -> [UInt8] {
        var i = 0, out: [UInt8] = []
        func varint() -> Int {
            var v = 0, shift = 0
            while true {
                let b = Int(bytes[i]); i += 1
                v |= (b & 0x7F) << shift
                if b & 0x80 == 0 { return v }
                shift += 7
            }
        }
        while out.count < count && i < bytes.count {
            let header = varint()
            if header & 1 == 0 {
                var v = 0
                for b in 0..<(bitWidth + 7) / 8 { v |= Int(bytes[i]) << (8 * b); i += 1 }
                out += [UInt8](repeating: UInt8(v), count: header >> 1)
            } else {
                let n = (header >> 1) * 8
                for k in 0..<n {
                    var v = 0
                    for b in 0..<bitWidth where bytes[i + (k * bitWidth + b) / 8] >> ((k * bitWidth + b) % 8) & 1 == 1 { v |= 1 << b }
                    out.append(UInt8(v))
                }
                i += (header >> 1) * bitWidth
            }
        }
        return Array(out.prefix(count))
    }

    @Test func levelsOfTheChatSchema() {
        let element = ParquetField.group("element", .required, [.leaf("role", .string, .required), .leaf("content", .string)])
        let columns = ParquetColumnDescriptor.leaves(of: [.leaf("uid", .string, .required), .list("messages", element: element), .leaf("label", .string)])
        #expect(columns.map { $0.path.joined(separator: ".") } == ["uid", "messages.list.element.role", "messages.list.element.content", "label"])
        #expect(columns.map(\.maxDefinition) == [0, 2, 3, 1])
        #expect(columns.map(\.maxRepetition) == [0, 1, 1, 0])
    }
}

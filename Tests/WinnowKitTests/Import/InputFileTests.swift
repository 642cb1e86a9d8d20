import Foundation
import Testing
@testable import WinnowKit

/// An import's input is opened once: every pass (the first bytes, the SHA-256, the check, the
/// writing) reads that one descriptor, so all of them see the same file.
@Suite struct InputFileTests {
    /// Everything a pass over `input` yields, decoded.
    func text(_ input: InputFile) throws -> String {
        let source = try input.source()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { buffer.deallocate() }
        var bytes: [UInt8] = []
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func everyPassReadsTheFileOpenedFirstEvenWhenAnotherReplacesItsPath() throws {
        let dir = TempDir()
        let path = dir.write("a.jsonl", "{\"text\": \"first\"}\n")
        let input = try InputFile(path: path)
        let digest = try input.sha256()
        let other = dir.write("b.jsonl", "{\"text\": \"second, renamed over the first\"}\n")
        #expect(rename(other, path) == 0)
        #expect(try text(input) == "{\"text\": \"first\"}\n")
        #expect(try text(input) == "{\"text\": \"first\"}\n") // a second pass starts at byte 0 again
        #expect(try input.sha256() == digest)
        #expect(try input.checkReadable() == 18)
        #expect(try input.detectFormat() == .jsonl)
    }

    @Test func missingFilesAndFoldersAreRefusedWhenOpened() throws {
        let dir = TempDir()
        #expect(throws: WinnowError.unreadableInput(path: dir.path("none.jsonl"), reason: "no such file; check the path")) {
            try InputFile(path: dir.path("none.jsonl"))
        }
        #expect(throws: WinnowError.unreadableInput(path: dir.url.path, reason: "is a directory; pass the files inside it (for example \(dir.url.path)/*.jsonl)")) {
            try InputFile(path: dir.url.path)
        }
    }
}

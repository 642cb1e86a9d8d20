import CZlib
import Crypto
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Reads an input file as a stream of chunks, inflating gzip transparently and hashing the
/// file's bytes as they are on disk (SHA-256), so one pass gives both content and identity.
final class ByteSource {
    /// The input's name in messages (the path, or `<stdin>` for a spooled standard input).
    let path: String
    let compressed: Bool
    /// Bytes read from disk so far.
    private(set) var rawBytes: Int = 0
    /// The open input this pass reads (kept open as long as the pass), and where in it.
    private let file: InputFile
    private let fd: Int32
    private var offset: off_t = 0
    private var hasher = SHA256()
    private var raw: [UInt8]
    private var stream = z_stream()
    private var streamOpen = false
    private var rawPending = 0 // bytes of `raw` not yet consumed by inflate
    private var rawOffset = 0
    private var eof = false
    private var inMember = false // inside a gzip member whose end has not been seen

    static let chunkSize = 1 << 20

    /// A pass over a file opened with `InputFile` (see there).
    convenience init(path: String) throws {
        try self.init(file: InputFile(path: path))
    }

    /// A new pass over `file` from its first byte; the file stays open while the pass lives.
    init(file: InputFile) throws {
        self.file = file
        self.path = file.displayPath
        fd = file.fd
        // Sniff the gzip magic number rather than trusting the extension alone.
        var magic: [UInt8] = [0, 0]
        let got = pread(fd, &magic, 2, 0)
        compressed = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b
        raw = compressed ? [UInt8](repeating: 0, count: ByteSource.chunkSize) : []
        if compressed {
            // 15 + 32: zlib or gzip header, detected automatically.
            guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw WinnowError.unreadableInput(path: self.path, reason: "cannot start gzip decompression")
            }
            streamOpen = true
        }
    }

    deinit {
        if streamOpen { inflateEnd(&stream) }
    }

    /// The SHA-256 (hex) of the bytes read from disk; complete once `read` has returned 0.
    func fileDigest() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Reads up to `count` bytes from the file into `into`, hashing them.
    private func readRaw(into: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = pread(fd, into, count, offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw WinnowError.unreadableInput(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n > 0 {
                offset += off_t(n)
                hasher.update(bufferPointer: UnsafeRawBufferPointer(start: into, count: n))
                rawBytes += n
            }
            return n
        }
    }

    private func readRaw() throws -> Int {
        try raw.withUnsafeMutableBytes { try readRaw(into: $0.baseAddress!, count: ByteSource.chunkSize) }
    }

    /// Fills `buffer` (from index 0) with up to its capacity of decoded bytes; returns the count, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !compressed {
            if eof || buffer.count == 0 { return 0 }
            let n = try readRaw(into: buffer.baseAddress!, count: buffer.count)
            if n == 0 { eof = true }
            return n
        }
        var produced = 0
        while produced < buffer.count {
            if rawPending == 0 {
                if eof { break }
                let n = try readRaw()
                if n == 0 { eof = true; break }
                rawPending = n
                rawOffset = 0
            }
            let status: Int32 = raw.withUnsafeMutableBufferPointer { rawBuffer in
                stream.next_in = rawBuffer.baseAddress! + rawOffset
                stream.avail_in = UInt32(rawPending)
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + produced
                stream.avail_out = UInt32(buffer.count - produced)
                let status = inflate(&stream, Z_NO_FLUSH)
                let consumed = rawPending - Int(stream.avail_in)
                rawOffset += consumed
                rawPending -= consumed
                produced = buffer.count - Int(stream.avail_out)
                return status
            }
            if status == Z_STREAM_END {
                // Concatenated gzip members are one stream to gzip(1): carry on with the next.
                inflateReset(&stream)
                inMember = false
                continue
            }
            inMember = true
            if status != Z_OK && status != Z_BUF_ERROR {
                throw WinnowError.unreadableInput(
                    path: path, reason: "the gzip data is corrupt (zlib error \(status)) near compressed byte \(rawBytes - rawPending); re-create or re-download the file")
            }
        }
        if produced == 0 && eof && inMember {
            throw WinnowError.unreadableInput(path: path, reason: "the gzip data ends early (truncated file); re-create or re-download the file")
        }
        return produced
    }
}

/// Splits a byte stream into lines at LF (a CR before it stays in the line and is dealt with
/// by the readers), numbering them from 1, with a cap on line length.
final class LineReader {
    let source: ByteSource
    let maxLineBytes: Int
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var finished = false
    /// Number of the line most recently returned (1-based).
    private(set) var lineNumber = 0

    init(source: ByteSource, maxLineBytes: Int) {
        self.source = source
        self.maxLineBytes = maxLineBytes
        buffer = .allocate(byteCount: ByteSource.chunkSize * 2, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// One line (without its newline), or a marker that it was over the limit.
    enum Line {
        case text(UnsafeRawBufferPointer)
        case tooLong(bytes: Int)
    }

    /// The next line; nil at the end of input. The returned bytes are valid until the next call.
    func next() throws -> Line? {
        var overflow = 0 // bytes of an over-long line already discarded
        while true {
            // Look for a newline in the unread part of the buffer.
            if let nl = findNewline(from: start, to: end) {
                let lineStart = start
                start = nl + 1
                lineNumber += 1
                if overflow > 0 || nl - lineStart > maxLineBytes {
                    return .tooLong(bytes: overflow + nl - lineStart)
                }
                return .text(UnsafeRawBufferPointer(rebasing: buffer[lineStart..<nl]))
            }
            if finished {
                if start < end || overflow > 0 {
                    let lineStart = start
                    start = end
                    lineNumber += 1
                    if overflow > 0 || end - lineStart > maxLineBytes {
                        return .tooLong(bytes: overflow + end - lineStart)
                    }
                    return .text(UnsafeRawBufferPointer(rebasing: buffer[lineStart..<end]))
                }
                return nil
            }
            // Make room: move the partial line to the front, growing the buffer if the line
            // is long but still under the limit; past the limit, drop its bytes and count them.
            let pending = end - start
            if pending > maxLineBytes {
                overflow += pending
                start = 0
                end = 0
            } else if start > 0 {
                if pending > 0 {
                    UnsafeMutableRawBufferPointer(rebasing: buffer[0..<pending])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
                }
                start = 0
                end = pending
            }
            if buffer.count - end < ByteSource.chunkSize {
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<end]))
                buffer.deallocate()
                buffer = bigger
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end..<(end + ByteSource.chunkSize)]))
            if n == 0 { finished = true } else { end += n }
        }
    }

    private func findNewline(from: Int, to: Int) -> Int? {
        guard from < to else { return nil }
        let base = buffer.baseAddress!
        if let p = memchr(base + from, 0x0A, to - from) {
            return base.distance(to: p)
        }
        return nil
    }
}

import Crypto
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// An import's input, opened once: every pass over it (the look at its first bytes, its
/// SHA-256, the check and the writing pass) reads the one descriptor from byte 0, so they all
/// read the same file even if another one is renamed over its path meanwhile. A regular file
/// is read in place; standard input (`-`), `/dev/stdin`, a FIFO or a process substitution
/// (`<(…)`) can be read only once, so it is first copied whole into an unlinked temporary file
/// (in $TMPDIR, else /tmp), which vanishes with the process even when it is killed.
final class InputFile: @unchecked Sendable {
    /// The path as given, for messages and the `sources` row (`<stdin>` for `-`).
    let displayPath: String
    /// Whether the input was a stream copied to a temporary file (no file name to go by).
    let spooled: Bool
    /// The open descriptor every pass reads (with `pread`, so passes do not share an offset).
    let fd: Int32
    /// The file's size in bytes (of the copy, for a stream), as on disk.
    var size: Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }

    init(path: String) throws {
        if path == "-" {
            displayPath = "<stdin>"
            fd = try InputFile.spool(from: 0, display: "<stdin>")
            spooled = true
            return
        }
        displayPath = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw WinnowError.unreadableInput(path: path, reason: "no such file; check the path") }
            throw WinnowError.unreadableInput(path: path, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw WinnowError.unreadableInput(path: path, reason: "is a directory; pass the files inside it (for example \(path)/*.jsonl)")
        }
        if (info.st_mode & S_IFMT) != S_IFREG {
            let source = open(path, O_RDONLY | O_CLOEXEC)
            guard source >= 0 else {
                throw WinnowError.unreadableInput(path: path, reason: "\(String(cString: strerror(errno))); check the path")
            }
            defer { close(source) }
            fd = try InputFile.spool(from: source, display: path)
            spooled = true
            return
        }
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WinnowError.unreadableInput(path: path, reason: "\(String(cString: strerror(errno))); check the file's permissions")
        }
        spooled = false
    }

    deinit { close(fd) }

    /// A new pass over the input from its first byte (inflating gzip, hashing the raw bytes).
    func source() throws -> ByteSource {
        try ByteSource(file: self)
    }

    /// SHA-256 of the file's bytes as they are on disk (a gzip file is not inflated: a damaged
    /// one is still named by its hash, and reported by the pass that reads it), computed once.
    func sha256() throws -> String {
        if let digest { return digest }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ByteSource.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let n = pread(fd, buffer.baseAddress!, buffer.count, offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw WinnowError.unreadableInput(path: displayPath, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            offset += off_t(n)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        digest = hex
        return hex
    }

    /// The digest once computed: the file is read once whoever asks (the import's check of
    /// the sources, a Parquet pass's end). The passes that ask run one after another.
    private var digest: String?

    /// Copies everything readable from `source` into a new unlinked temporary file.
    private static func spool(from source: Int32, display: String) throws -> Int32 {
        let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(folder)/winnow-input-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw WinnowError.unreadableInput(
                path: display, reason: "cannot make a temporary copy in \(folder) (\(String(cString: strerror(errno)))); set TMPDIR to a writable folder")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(source, buffer, 1 << 20)
            if n < 0 {
                if errno == EINTR { continue }
                close(fd)
                throw WinnowError.unreadableInput(path: display, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = write(fd, buffer + written, n - written)
                if w < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    throw WinnowError.unreadableInput(path: display, reason: "cannot copy the input to \(folder) (\(reason)); free space there or set TMPDIR to a folder with room")
                }
                written += w
            }
        }
        return fd
    }
}

extension InputFile {
    /// The file size, after refusing empty and binary files (missing files and directories are
    /// refused when it is opened).
    func checkReadable() throws -> Int {
        let fileSize = size
        let source = try source()
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 1)
        defer { head.deallocate() }
        let n = try source.read(into: head)
        let bytes = UnsafeRawBufferPointer(rebasing: head[0..<n])
        if n == 0 {
            throw WinnowError.unreadableInput(path: displayPath, reason: "the file is empty; nothing to import")
        }
        // Parquet is binary by design; its reader checks it.
        if bytes.starts(with: ParquetReader.magic) { return fileSize }
        // A NUL on the first line means binary data (or UTF-16); later NULs are reported per line.
        let firstLine = bytes.firstIndex(of: 0x0A) ?? n
        if let base = bytes.baseAddress, let nul = memchr(base, 0, firstLine) {
            throw WinnowError.unreadableInput(
                path: displayPath,
                reason:
                    "this looks like a binary file (NUL byte at offset \(base.distance(to: UnsafeRawPointer(nul)))), not UTF-8 JSONL, JSON, CSV or TSV, nor Parquet; check the path (UTF-16 files must be re-encoded as UTF-8)"
            )
        }
        if n < head.count && bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw WinnowError.unreadableInput(path: displayPath, reason: "the file holds only white space; nothing to import")
        }
        return fileSize
    }

    /// The format from the file name, looking at the first byte when the name says `.json`
    /// (many `.json` files are really JSON Lines). A spooled stream (standard input, a pipe: no
    /// name to go by) has its format read off the first bytes alone.
    func detectFormat() throws -> InputFormat {
        let sniff = spooled
        let guessed = sniff ? nil : InputFormat.guess(path: displayPath)
        if guessed != nil && guessed != .json { return guessed! }
        let source = try source()
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 1)
        defer { head.deallocate() }
        let n = try source.read(into: head)
        let bytes = Array(head[0..<n])
        // A Parquet file by its first bytes (a pipe's, or one named .json).
        if bytes.starts(with: ParquetReader.magic) { return .parquet }
        let first = bytes.first(where: { ![0x20, 0x0A, 0x0D, 0x09, 0xEF, 0xBB, 0xBF].contains($0) })
        if guessed == .json {
            return first == UInt8(ascii: "{") ? .jsonl : .json
        }
        if first == UInt8(ascii: "{") { return .jsonl }
        if first == UInt8(ascii: "[") { return .json }
        let firstLine = bytes.prefix(while: { $0 != 0x0A })
        if firstLine.contains(9) { return .tsv }
        if firstLine.contains(UInt8(ascii: ",")) { return .csv }
        let reason =
            sniff
            ? "cannot tell the format from the first bytes (not a JSON object or array, no tab or comma in the first line); pass --format jsonl, json, csv, tsv or parquet"
            : "cannot tell the format from the file name; pass --format jsonl, json, csv, tsv or parquet"
        throw WinnowError.unreadableInput(path: displayPath, reason: reason)
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An import's input as a file that can be read more than once. A regular file is read in
/// place; standard input (`-`), `/dev/stdin`, a FIFO or a process substitution (`<(…)`) can be
/// read only once, so it is first copied whole into an unlinked temporary file (in $TMPDIR,
/// else /tmp), which vanishes with the process even when it is killed.
final class InputFile {
    /// The path as given, for messages and the `sources` row (`<stdin>` for `-`).
    let displayPath: String
    /// The path to read from (`/proc/self/fd/N` of the spooled copy).
    let readPath: String
    /// Whether the input was a stream copied to a temporary file (no file name to go by).
    let spooled: Bool
    private var fd: Int32 = -1

    init(path: String) throws {
        if path == "-" {
            displayPath = "<stdin>"
            fd = try InputFile.spool(from: 0, display: "<stdin>")
        } else {
            displayPath = path
            var info = stat()
            if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG && (info.st_mode & S_IFMT) != S_IFDIR {
                let source = open(path, O_RDONLY | O_CLOEXEC)
                guard source >= 0 else {
                    throw WinnowError.unreadableInput(path: path, reason: "\(String(cString: strerror(errno))); check the path")
                }
                defer { close(source) }
                fd = try InputFile.spool(from: source, display: path)
            }
        }
        spooled = fd >= 0
        readPath = fd >= 0 ? "/proc/self/fd/\(fd)" : path
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Copies everything readable from `source` into a new unlinked temporary file.
    private static func spool(from source: Int32, display: String) throws -> Int32 {
        let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(folder)/winnow-input-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw WinnowError.unreadableInput(path: display, reason: "cannot make a temporary copy in \(folder) (\(String(cString: strerror(errno)))); set TMPDIR to a writable folder")
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

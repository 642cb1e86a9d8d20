import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Float values in a scratch file that is unlinked as soon as it is made, then mapped read-only
/// into memory. Its pages belong to the kernel's file cache, which writes them back and drops
/// them under memory pressure and reads them again when touched, so the vectors of a large
/// store take no heap; and a killed process leaves no file behind. The file goes in `TMPDIR`
/// (else /tmp); on a tmpfs its pages are RAM (README: point `TMPDIR` at a disk folder).
public final class VectorScratch: @unchecked Sendable {
    /// Selections of at least this many bytes go to a scratch file rather than the heap (64 MiB:
    /// about 44,000 vectors of 384 dimensions).
    public static let threshold = 64 << 20

    let pointer: UnsafeMutablePointer<Float>
    /// Number of `Float` values.
    let count: Int
    private let length: Int

    private init(pointer: UnsafeMutablePointer<Float>, count: Int, length: Int) {
        self.pointer = pointer
        self.count = count
        self.length = length
    }

    deinit { munmap(pointer, length) }

    /// The folder scratch files go in.
    static var folder: String {
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"] ?? ""
        return tmp.isEmpty ? "/tmp" : tmp
    }

    /// Writes whole rows to a new scratch file, buffered, then maps it as a `VectorMatrix`.
    public final class Writer {
        /// Values per row.
        public let dimension: Int
        /// Rows written so far.
        public private(set) var rows = 0
        private var fd: Int32
        private var buffer: [Float] = []
        private let flushAt: Int

        /// A new, already unlinked scratch file in `TMPDIR`.
        public init(dimension: Int) throws {
            precondition(dimension > 0)
            self.dimension = dimension
            flushAt = 1024 * dimension
            buffer.reserveCapacity(flushAt)
            var template = Array("\(VectorScratch.folder)/winnow-vectors-XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { throw VectorScratch.failure("cannot create a scratch file", errno) }
            let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            unlink(path)
            self.fd = fd
        }

        deinit { if fd >= 0 { close(fd) } }

        /// Appends one row of `dimension` values.
        public func append(_ row: UnsafeBufferPointer<Float>) throws {
            precondition(row.count == dimension)
            buffer.append(contentsOf: row)
            rows += 1
            if buffer.count >= flushAt { try flush() }
        }

        /// The rows written, as a matrix over the mapped file (an ordinary empty matrix for no rows).
        /// `normalized` says every row is unit length or zero.
        public func finish(normalized: Bool) throws -> VectorMatrix {
            try flush()
            defer {
                close(fd)
                fd = -1
            }
            let count = rows * dimension
            guard count > 0 else { return VectorMatrix(rows: 0, dimension: dimension) }
            let length = count * MemoryLayout<Float>.stride
            guard let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else {
                throw VectorScratch.failure("cannot map a scratch file of \(length >> 20) MiB", errno)
            }
            let scratch = VectorScratch(pointer: base.bindMemory(to: Float.self, capacity: count), count: count, length: length)
            return VectorMatrix(dimension: dimension, mapped: scratch, normalized: normalized)
        }

        private func flush() throws {
            try buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw VectorScratch.failure("cannot write \((rows * dimension * 4) >> 20) MiB of vectors to a scratch file", errno)
                    }
                    offset += n
                }
            }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    private static func failure(_ what: String, _ code: Int32) -> WinnowError {
        .writeFailed(
            path: folder,
            detail:
                "\(what) in \(folder) (\(String(cString: strerror(code)))); vectors of a large store are read through one: set TMPDIR to a folder with room (4 bytes × dimension per vector)"
        )
    }
}

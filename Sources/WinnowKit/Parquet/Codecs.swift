import CSnappy
import CZlib
import CZstd

/// Page compression for Parquet: snappy, zstd and gzip through the system libraries, and
/// uncompressed pages. Whole pages at a time (a page is at most a few MB).
enum ParquetCodec {
    /// The codecs this build reads and writes.
    static let supported: [CompressionCodec] = [.uncompressed, .snappy, .gzip, .zstd]

    /// `bytes` decompressed, checked to be exactly `size` bytes (the page header's figure).
    static func decompress(_ codec: CompressionCodec, _ bytes: UnsafeRawBufferPointer, size: Int) throws -> [UInt8] {
        switch codec {
        case .uncompressed:
            guard bytes.count == size else { throw ParquetError(reason: "is \(bytes.count) bytes where its header says \(size)") }
            return Array(bytes)
        case .snappy:
            var length = 0
            guard let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                snappy_uncompressed_length(base.assumingMemoryBound(to: CChar.self), bytes.count, &length) == SNAPPY_OK,
                length == size
            else { throw ParquetError(reason: "is not valid snappy data (or not of the size its header says)") }
            var out = [UInt8](repeating: 0, count: size)
            var outLength = size
            let status = out.withUnsafeMutableBytes { o in
                snappy_uncompress(base.assumingMemoryBound(to: CChar.self), bytes.count, o.baseAddress?.assumingMemoryBound(to: CChar.self), &outLength)
            }
            guard status == SNAPPY_OK, outLength == size else { throw ParquetError(reason: "is not valid snappy data") }
            return out
        case .zstd:
            // The frame says its size (writers put it there): check it before allocating.
            let declared = ZSTD_getFrameContentSize(bytes.baseAddress, bytes.count)
            // ZSTD_CONTENTSIZE_ERROR and ZSTD_CONTENTSIZE_UNKNOWN (macros Swift does not import).
            if declared == UInt64.max - 1 { throw ParquetError(reason: "is not valid zstd data") }
            if declared != UInt64.max && declared != UInt64(size) {
                throw ParquetError(reason: "inflates to \(declared) bytes where its header says \(size)")
            }
            var out = [UInt8](repeating: 0, count: size)
            let n = out.withUnsafeMutableBytes { o in
                ZSTD_decompress(o.baseAddress, size, bytes.baseAddress, bytes.count)
            }
            if ZSTD_isError(n) != 0 {
                throw ParquetError(reason: "is not valid zstd data (\(String(cString: ZSTD_getErrorName(n))))")
            }
            guard n == size else { throw ParquetError(reason: "inflates to \(n) bytes where its header says \(size)") }
            return out
        case .gzip:
            return try inflate(bytes, size: size)
        default:
            throw ParquetError(reason: "is compressed with \(codec.name), which this build does not read (it reads snappy, zstd, gzip and uncompressed pages)")
        }
    }

    /// `bytes` compressed with `codec` (zstd at `level`).
    static func compress(_ codec: CompressionCodec, _ bytes: [UInt8], level: Int32 = 3) -> [UInt8] {
        switch codec {
        case .zstd:
            let bound = ZSTD_compressBound(bytes.count)
            var out = [UInt8](repeating: 0, count: bound)
            let n = out.withUnsafeMutableBytes { o in
                bytes.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) }
            }
            precondition(ZSTD_isError(n) == 0, "zstd cannot fail on a buffer of its own bound")
            out.removeLast(bound - n)
            return out
        case .snappy:
            var length = snappy_max_compressed_length(bytes.count)
            var out = [UInt8](repeating: 0, count: length)
            // An empty input still needs a valid pointer.
            let input = bytes.isEmpty ? [0] : bytes
            let status = out.withUnsafeMutableBytes { o in
                input.withUnsafeBytes { i in
                    snappy_compress(i.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count, o.baseAddress!.assumingMemoryBound(to: CChar.self), &length)
                }
            }
            precondition(status == SNAPPY_OK, "snappy cannot fail on a buffer of its own bound")
            out.removeLast(out.count - length)
            return out
        case .gzip:
            return deflate(bytes)
        default:
            return bytes
        }
    }

    private static func inflate(_ bytes: UnsafeRawBufferPointer, size: Int) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: a zlib or a gzip header, told apart by zlib.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ParquetError(reason: "cannot start zlib")
        }
        defer { inflateEnd(&stream) }
        // Deflate expands at most about 1032 times: a size above that is a lie, not an allocation.
        guard size <= bytes.count * 1032 + 1024 else { throw ParquetError(reason: "cannot inflate to the \(size) bytes its header says") }
        var out = [UInt8](repeating: 0, count: size + 1)
        let status: Int32 = out.withUnsafeMutableBytes { o in
            stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(bytes.count)
            stream.next_out = o.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(o.count)
            return CZlib.inflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END else { throw ParquetError(reason: "is not valid gzip data (zlib status \(status))") }
        guard Int(stream.total_out) == size else { throw ParquetError(reason: "inflates to \(stream.total_out) bytes where its header says \(size)") }
        out.removeLast()
        return out
    }

    private static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: a gzip header with no name and no time, so the same bytes compress the same.
        precondition(deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(bytes.count))) + 32
        var out = [UInt8](repeating: 0, count: bound)
        out.withUnsafeMutableBytes { o in
            bytes.withUnsafeBytes { i in
                stream.next_in = UnsafeMutablePointer(mutating: i.baseAddress?.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(i.count)
                stream.next_out = o.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(o.count)
                precondition(CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END, "deflate cannot fail on a buffer of its own bound")
            }
        }
        out.removeLast(bound - Int(stream.total_out))
        return out
    }
}

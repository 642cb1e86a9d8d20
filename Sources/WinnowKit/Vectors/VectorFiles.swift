import CZlib
import Foundation

/// The file formats `winnow vectors import` reads and `vectors export` writes.
public enum VectorFileFormat: String, CaseIterable, Sendable, Codable {
    /// One JSON object per line: `{"uid": …, "vector": [numbers]}`.
    case jsonl
    /// A NumPy `.npy` array of shape (n, dimension), row i the vector of line i of a uids file.
    case npy

    /// The format a file name suggests: `.npy`, else JSON Lines.
    public static func guess(path: String) -> VectorFileFormat {
        (path as NSString).pathExtension.lowercased() == "npy" ? .npy : .jsonl
    }

    /// The uids file that goes with the `.npy` file `path` when none is named: the same
    /// name with `.uids.txt` in place of `.npy` (`vectors.npy` → `vectors.uids.txt`).
    public static func defaultUIDsPath(for path: String) -> String {
        let stem = (path as NSString).pathExtension.lowercased() == "npy" ? String(path.dropLast(4)) : path
        return stem + ".uids.txt"
    }
}

/// A NumPy `.npy` file (format versions 1, 2 and 3): its header, and the values of its
/// 2-D float array read straight from the mapped file, without a copy of the whole array.
public struct NumpyArray {
    /// Element width in bytes: 2 (float16), 4 (float32) or 8 (float64).
    public let width: Int
    public let bigEndian: Bool
    public let fortranOrder: Bool
    public let rows: Int
    public let columns: Int
    /// `descr` as the header spells it ('<f4').
    public let descr: String
    private let data: Data
    private let offset: Int

    /// Reads the header of `path` (memory-mapped); refuses anything but a 2-D array of floats.
    public init(path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw WinnowError.unreadableInput(path: path, reason: "cannot read it (\(error.localizedDescription))")
        }
        func bad(_ why: String) -> WinnowError {
            .unreadableInput(path: path, reason: "not a NumPy .npy array of vectors: \(why); write it with numpy.save(path, array.astype('float32'))")
        }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // \x93NUMPY
        guard data.count >= 10, Array(data.prefix(6)) == magic else { throw bad("it does not start with the .npy magic bytes") }
        let major = data[data.startIndex + 6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
            headerStart = 10
        case 2, 3:
            guard data.count >= 12 else { throw bad("its header is cut short") }
            headerLength = (0..<4).reduce(0) { $0 | Int(data[data.startIndex + 8 + $1]) << (8 * $1) }
            headerStart = 12
        default: throw bad("format version \(major) is not one Winnow reads (1, 2 or 3)")
        }
        guard data.count >= headerStart + headerLength else { throw bad("its header is cut short") }
        let header = String(decoding: data[(data.startIndex + headerStart)..<(data.startIndex + headerStart + headerLength)], as: UTF8.self)
        func field(_ key: String, _ pattern: String) -> String? {
            guard let range = header.range(of: "['\"]\(key)['\"]\\s*:\\s*\(pattern)", options: .regularExpression) else { return nil }
            let text = String(header[range])
            let value = text[text.index(after: text.firstIndex(of: ":")!)...].trimmingCharacters(in: .whitespaces)
            return value
        }
        guard let descrField = field("descr", "['\"][^'\"]*['\"]") else { throw bad("its header has no 'descr'") }
        let descr = String(descrField.dropFirst().dropLast())
        guard let fortran = field("fortran_order", "(True|False)") else { throw bad("its header has no 'fortran_order'") }
        guard let shapeField = field("shape", "\\([^)]*\\)") else { throw bad("its header has no 'shape'") }
        let shape = shapeField.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let dims = shape.compactMap { Int($0) }
        guard dims.count == shape.count, dims.count == 2 else {
            throw bad("its shape is (\(shape.joined(separator: ", "))), expected (rows, dimension)")
        }
        guard descr.count == 3, let order = descr.first, "<>=|".contains(order), descr.dropFirst().first == "f",
            let width = Int(String(descr.last!)), [2, 4, 8].contains(width)
        else {
            throw bad("its values are '\(descr)', expected floats ('<f4', '<f2' or '<f8')")
        }
        guard dims[0] >= 0, dims[1] > 0 else { throw bad("its shape is (\(dims[0]), \(dims[1])): expected a count of rows and a positive dimension") }
        let (rowBytes, rowOverflow) = dims[1].multipliedReportingOverflow(by: width)
        let (total, overflow) = dims[0].multipliedReportingOverflow(by: rowOverflow ? 1 : rowBytes)
        guard !rowOverflow, !overflow, data.count - headerStart - headerLength >= total else {
            if rowOverflow || overflow { throw bad("its shape (\(dims[0]), \(dims[1])) needs more bytes than any file holds") }
            throw bad("it holds \(data.count - headerStart - headerLength) bytes of values, its shape needs \(total)")
        }
        self.width = width
        self.bigEndian = order == ">"
        self.fortranOrder = fortran == "True"
        self.rows = dims[0]
        self.columns = dims[1]
        self.descr = descr
        self.data = data
        self.offset = headerStart + headerLength
    }

    /// Row `row` as Float values into `out` (room for `columns`).
    public func readRow(_ row: Int, into out: UnsafeMutablePointer<Float>) {
        data.withUnsafeBytes { raw in
            for column in 0..<columns {
                let index = fortranOrder ? column * rows + row : row * columns + column
                let at = offset + index * width
                switch width {
                case 2:
                    let bits = raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)
                    out[column] = Float(Float16(bitPattern: bigEndian ? UInt16(bigEndian: bits) : UInt16(littleEndian: bits)))
                case 4:
                    let bits = raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)
                    out[column] = Float(bitPattern: bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits))
                default:
                    let bits = raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                    out[column] = Float(Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits)))
                }
            }
        }
    }

    /// The header of a version 1.0 `.npy` file of `rows` × `columns` little-endian float32
    /// values in C order, padded so the values start at a multiple of 64 bytes as numpy does.
    public static func header(rows: Int, columns: Int) -> Data {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let length = dict.utf8.count
        out.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        out.append(contentsOf: Array(dict.utf8))
        return out
    }
}

/// A vector read from a file, checked: its values as Float, or why it is refused.
enum VectorValues {
    /// Float values of a JSON `vector` field (an array of numbers), or the reason it is refused.
    static func parse(_ value: Any?, field: String) -> Result<[Float], RecordProblemReason> {
        guard let value else { return .failure(.init("no '\(field)' field (pass --vector-field to name it)")) }
        guard let array = value as? [Any] else { return .failure(.init("'\(field)' is not an array of numbers")) }
        var out: [Float] = []
        out.reserveCapacity(array.count)
        for (i, element) in array.enumerated() {
            guard let n = element as? NSNumber, !RecordBuilder.isBoolean(n) else {
                return .failure(.init("'\(field)'[\(i)] is \(String(describing: element).prefix(30)), expected a number"))
            }
            out.append(Float(n.doubleValue))
        }
        return .success(out)
    }

    /// Checks `vector` for `dimension` values (when known), all finite (as float32) and not
    /// all zero, and returns it scaled to unit length — unless it already is (|v|² within
    /// 1e-6 of 1), so a file `vectors export` wrote imports bit for bit. Nil reason: fine.
    static func check(_ vector: inout [Float], dimension: Int?, dimensionSource: String) -> String? {
        if let dimension, vector.count != dimension {
            return "\(vector.count) values, expected \(dimension) (\(dimensionSource))"
        }
        guard !vector.isEmpty else { return "an empty vector" }
        var sum = 0.0
        for (i, v) in vector.enumerated() {
            guard v.isFinite else { return "value \(i) is not a finite float32 number" }
            sum += Double(v) * Double(v)
        }
        guard sum > 0 else { return "a vector of zeros has no direction; leave the sample out instead" }
        if abs(sum - 1) > 1e-6 {
            // Scaled in Double: 1/|v| of a tiny vector overflows a Float.
            let norm = sum.squareRoot()
            for i in vector.indices { vector[i] = Float(Double(vector[i]) / norm) }
            var check = 0.0
            for v in vector { check += Double(v) * Double(v) }
            guard vector.allSatisfy(\.isFinite), abs(check - 1) < 1e-3 else {
                return "a vector of length \(norm) is too short to give a direction in float32; leave the sample out instead"
            }
        }
        return nil
    }
}

/// A reason a record is refused, before its line is known.
struct RecordProblemReason: Error {
    let text: String
    init(_ text: String) { self.text = text }
}

/// A file written beside its final path and renamed onto it when complete, so a failed or
/// killed export never leaves half a file under the name asked for. With `gzip`, the bytes
/// are compressed on the way (zlib's deflate with a gzip header), so a `.gz` file is one.
final class StagedFile {
    let path: String
    let temporary: String
    private let handle: FileHandle
    private var buffer = Data()
    /// The deflate stream of a gzip file (nil: written as given). Allocated once, so its
    /// address stays the one zlib was started with.
    private var stream: UnsafeMutablePointer<z_stream>?
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)

    init(path: String, gzip: Bool = false) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).winnow-tmp-\(getpid())").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw WinnowError.invalidArgument("cannot write \(path): its folder is missing or not writable")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
        if gzip {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // 15 + 16: a 32 KiB window with a gzip header and trailer (what gzip -d reads).
            guard
                deflateInit2_(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
                    == Z_OK
            else {
                stream.deallocate()
                try? handle.close()
                unlink(temporary)
                throw WinnowError.invalidArgument("cannot write \(path): cannot start gzip compression")
            }
            self.stream = stream
        }
    }

    deinit { endStream() }

    func write(_ data: Data) throws {
        buffer.append(data)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write(_ text: String) throws { try write(Data(text.utf8)) }

    /// Writes what is buffered (compressed first for a gzip file; `finish` ends the gzip stream).
    private func flush(finish: Bool = false) throws {
        var bytes = buffer
        if let stream {
            bytes = Data()
            var status = Z_OK
            buffer.withUnsafeMutableBytes { raw in
                stream.pointee.next_in = raw.bindMemory(to: Bytef.self).baseAddress
                stream.pointee.avail_in = uInt(raw.count)
                chunk.withUnsafeMutableBufferPointer { out in
                    repeat {
                        stream.pointee.next_out = out.baseAddress
                        stream.pointee.avail_out = uInt(out.count)
                        status = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                        bytes.append(out.baseAddress!, count: out.count - Int(stream.pointee.avail_out))
                    } while status == Z_OK && (finish || stream.pointee.avail_out == 0)
                }
            }
            guard status == (finish ? Z_STREAM_END : Z_OK) || (!finish && status == Z_BUF_ERROR) else {
                throw WinnowError.invalidArgument("writing \(path) failed: gzip compression failed (zlib error \(status))")
            }
        }
        do { try handle.write(contentsOf: bytes) } catch { throw WinnowError.invalidArgument("writing \(path) failed: \(error.localizedDescription)") }
        buffer.removeAll(keepingCapacity: true)
    }

    private func endStream() {
        guard let stream else { return }
        deflateEnd(stream)
        stream.deallocate()
        self.stream = nil
    }

    /// Writes what is buffered, closes, and renames onto `path`.
    func commit() throws {
        try flush(finish: true)
        endStream()
        try handle.close()
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WinnowError.invalidArgument("cannot put the written file at \(path): \(reason)")
        }
    }

    /// Removes the partial file.
    func discard() {
        endStream()
        try? handle.close()
        unlink(temporary)
    }
}

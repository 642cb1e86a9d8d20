import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `.safetensors` file (Hugging Face's weights format: an 8-byte little-endian header length,
/// a JSON header naming each tensor's dtype, shape and byte range, then the raw data), read
/// through a memory map so loading a model copies nothing: float32 tensors are used in place,
/// float16 and bfloat16 ones are widened once into buffers this file owns.
final class SafetensorsFile: @unchecked Sendable {
    /// One tensor's entry in the header.
    struct Entry {
        let dtype: String
        let shape: [Int]
        /// Byte range inside the data section.
        let begin: Int
        let end: Int
        var count: Int { shape.reduce(1, *) }
    }

    let path: String
    let entries: [String: Entry]
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let dataStart: Int
    /// Buffers made for tensors that are not aligned float32 (freed with the file).
    private var owned: [UnsafeMutablePointer<Float>] = []
    private let lock = NSLock()

    /// Maps `url` and parses its header; a file that is not safetensors is refused with its path.
    init(url: URL) throws {
        path = url.path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw WinnowError.unreadableInput(path: path, reason: "cannot open the model's weights (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw WinnowError.unreadableInput(path: path, reason: "the model's weights are not a regular file")
        }
        size = Int(st.st_size)
        guard size >= 8 else { throw WinnowError.unreadableInput(path: path, reason: "not a safetensors file: shorter than its 8-byte header length") }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw WinnowError.unreadableInput(path: path, reason: "cannot map the model's weights (\(String(cString: strerror(errno))))")
        }
        base = map
        var headerLength: UInt64 = 0
        withUnsafeMutableBytes(of: &headerLength) { $0.copyMemory(from: UnsafeRawBufferPointer(start: map, count: 8)) }
        headerLength = UInt64(littleEndian: headerLength)
        guard headerLength <= UInt64(size - 8) else {
            munmap(map, size)
            throw WinnowError.unreadableInput(path: path, reason: "not a safetensors file: header length \(headerLength) exceeds the file's \(size) bytes")
        }
        dataStart = 8 + Int(headerLength)
        let header = Data(bytes: map + 8, count: Int(headerLength))
        do {
            entries = try Self.parseHeader(header, dataBytes: size - dataStart)
        } catch let problem as HeaderProblem {
            munmap(map, size)
            throw WinnowError.unreadableInput(path: path, reason: "not a usable safetensors file: \(problem.reason)")
        }
    }

    deinit {
        for p in owned { p.deallocate() }
        munmap(base, size)
    }

    private static func parseHeader(_ header: Data, dataBytes: Int) throws -> [String: Entry] {
        guard let object = try? JSONSerialization.jsonObject(with: header), let dict = object as? [String: Any] else {
            throw HeaderProblem("its header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        for (name, value) in dict where name != "__metadata__" {
            guard let t = value as? [String: Any], let dtype = t["dtype"] as? String, let shape = t["shape"] as? [Int],
                let offsets = t["data_offsets"] as? [Int], offsets.count == 2
            else { throw HeaderProblem("tensor \(name) lacks dtype, shape or data_offsets") }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes else {
                throw HeaderProblem("tensor \(name)'s bytes \(offsets[0])..<\(offsets[1]) lie outside the file's \(dataBytes) data bytes")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        return entries
    }

    /// The tensor `name` as `count` floats (float32 in place; F16/BF16 widened), checked
    /// against `shape`; a missing tensor, another shape or dtype is a clear error.
    func floats(_ name: String, shape: [Int]) throws -> UnsafePointer<Float> {
        guard let e = entries[name] else {
            throw WinnowError.unreadableInput(path: path, reason: "the weights lack tensor \(name): not a BERT encoder this build understands")
        }
        guard e.shape == shape else {
            throw WinnowError.unreadableInput(path: path, reason: "tensor \(name) has shape \(e.shape), the config implies \(shape)")
        }
        let width: Int
        switch e.dtype {
        case "F32": width = 4
        case "F16", "BF16": width = 2
        default: throw WinnowError.unreadableInput(path: path, reason: "tensor \(name) is \(e.dtype); only F32, F16 and BF16 weights are read")
        }
        guard e.end - e.begin == e.count * width else {
            throw WinnowError.unreadableInput(path: path, reason: "tensor \(name) has \(e.end - e.begin) bytes, its shape needs \(e.count * width)")
        }
        let start = UnsafeRawPointer(base) + dataStart + e.begin
        if e.dtype == "F32" && Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 {
            return start.assumingMemoryBound(to: Float.self)
        }
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, e.count))
        for i in 0..<e.count {
            switch e.dtype {
            case "F32": out[i] = Float(bitPattern: start.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
            case "F16": out[i] = Float(Float16(bitPattern: start.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian))
            default: out[i] = Float(bitPattern: UInt32(start.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16)
            }
        }
        lock.withLock { owned.append(out) }
        return UnsafePointer(out)
    }

    /// A float buffer this file owns and frees (for weights the encoder rearranges).
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        lock.withLock { owned.append(out) }
        return out
    }

    /// SHA-256 (hex) of the whole file: the model's fingerprint.
    func sha256() -> String {
        var hasher = SHA256()
        var at = 0
        while at < size {
            let n = min(1 << 22, size - at)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base + at, count: n))
            at += n
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Why a header cannot be used.
private struct HeaderProblem: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

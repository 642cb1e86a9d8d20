import Foundation
import WinnowKit

/// One libFuzzer binary for all of Winnow's parsers; WINNOW_FUZZ_TARGET picks one:
/// jsonl, json, csv, tsv (the import readers and record builder), parquet (the Parquet reader) or options (--map,
/// --split, --of, selections). Built and run by scripts/fuzz.
enum Target {
    static let name = ProcessInfo.processInfo.environment["WINNOW_FUZZ_TARGET"] ?? "jsonl"
    static let scratch: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-fuzz-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func winnowFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if Target.name == "options" {
        FuzzEntry.options(String(decoding: bytes, as: UTF8.self))
    } else if Target.name == "parquet" {
        FuzzEntry.parquet(bytes)
    } else {
        FuzzEntry.records(bytes, format: InputFormat(rawValue: Target.name) ?? .jsonl, scratch: Target.scratch)
    }
    return 0
}

// SwiftPM links an executable's entry point as WinnowFuzz_main (renamed from main); with
// -parse-as-library there is none, so provide it: hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("WinnowFuzz_main")
public func winnowFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in winnowFuzz(data, size) }
}

import Foundation
import GRDB
@_exported import WinnowTestSupport

/// The result of one run of the `winnow` binary.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The built `winnow` binary: $WINNOW_BIN, else the one beside the test bundle.
let winnowBinary: String = {
    if let path = ProcessInfo.processInfo.environment["WINNOW_BIN"] { return path }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("winnow").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return repoRoot + "/.build/debug/winnow"
}()

/// A `winnow` process for `arguments`, in the environment less WINNOW_DB plus `env`.
func winnowProcess(_ arguments: [String], env: [String: String] = [:]) -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: winnowBinary)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "WINNOW_DB")
    for (k, v) in env { environment[k] = v }
    process.environment = environment
    return process
}

/// Runs `winnow` with `arguments` in `directory`, with extra environment variables.
@discardableResult
func winnow(_ arguments: [String], in directory: String? = nil, env: [String: String] = [:]) throws -> Run {
    let process = winnowProcess(arguments, env: env)
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    return try captured(process)
}

/// Runs `process` to its end with no input, its output captured into files (no pipe can fill
/// up and block the child).
func captured(_ process: Process) throws -> Run {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-run-\(UUID().uuidString)").path
    FileManager.default.createFile(atPath: base + ".out", contents: nil)
    FileManager.default.createFile(atPath: base + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
    }
    process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
    process.standardError = FileHandle(forWritingAtPath: base + ".err")
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let outData = FileManager.default.contents(atPath: base + ".out") ?? Data()
    let errData = FileManager.default.contents(atPath: base + ".err") ?? Data()
    return Run(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// Reads a value from a store in a clean connection (what a later process would see).
func query<T: DatabaseValueConvertible>(_ db: String, _ sql: String, as type: T.Type = Int.self) throws -> T? {
    var config = Configuration()
    config.readonly = true
    // A reader may meet SQLITE_BUSY while another process sets up the log of a store it opens.
    config.busyMode = .timeout(10)
    let queue = try DatabaseQueue(path: db, configuration: config)
    defer { try? queue.close() }
    return try queue.read { try T.fetchOne($0, sql: sql) }
}

/// The newest schema version: the last migration file's stem.
let latestSchema: String = {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: repoRoot + "/migrations")) ?? []
    return files.filter { $0.hasSuffix(".sql") }.sorted().last.map { String($0.dropLast(4)) } ?? "?"
}()

import Foundation
import Testing

/// The files generated from migrations/ (the one source of truth for the schema) are what their
/// scripts write today, to the byte: a migration that lands without re-running them fails here.
@Suite struct GeneratedFilesTests {
    /// Runs a script of scripts/ and returns what it writes to standard output.
    func output(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(arguments) failed")
        return String(decoding: data, as: UTF8.self)
    }

    @Test func embeddedMigrationsAreRegeneratedIdentically() throws {
        let generated = try output("/bin/bash", ["scripts/gen-migrations", "--stdout"])
        let committed = try String(contentsOfFile: repoRoot + "/Sources/WinnowKit/Store/Migrations+Embedded.swift", encoding: .utf8)
        #expect(generated == committed, "Migrations+Embedded.swift is out of date: run scripts/gen-migrations")
    }

    @Test func recordsAreRegeneratedIdentically() throws {
        let generated = try output("/usr/bin/env", ["python3", "scripts/gen-records", "--check"])
        let committed = try String(contentsOfFile: repoRoot + "/Sources/WinnowKit/Store/Schema/Records.swift", encoding: .utf8)
        #expect(generated == committed, "Store/Schema/Records.swift is out of date: run scripts/gen-records")
    }
}

import Foundation
import Testing

@testable import WinnowKit

/// Refusals outside review are typed too, with their message unchanged.
@Suite struct StoreErrorTests {
    @Test func aBackupOverAnExistingFileAlreadyExists() throws {
        let dir = TempDir()
        let store = try dir.store()
        let taken = dir.write("old.db", "keep me")
        do {
            _ = try store.backup(to: taken, force: false)
            Issue.record("a backup over an existing file was not refused")
        } catch let error as WinnowError {
            #expect(error == .alreadyExists("\(taken) exists; pass --force to replace it, or name another file"))
            #expect(error.code == "already_exists" && error.exitCode == 1)
        }
        #expect(try String(contentsOfFile: taken, encoding: .utf8) == "keep me")
    }
}

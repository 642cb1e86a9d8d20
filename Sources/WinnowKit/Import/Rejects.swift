import Foundation

extension Importer {
    /// Makes sure the rejects file can be written before anything is imported: creates it
    /// when missing (empty), and refuses a folder or a file that cannot be appended to.
    public static func prepareRejects(_ rejectsPath: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: rejectsPath, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw WinnowError.invalidArgument("--rejects \(rejectsPath) is a folder; pass a file path (rejects are appended to it as JSONL)")
            }
        } else if !FileManager.default.createFile(atPath: rejectsPath, contents: nil) {
            throw WinnowError.invalidArgument("cannot create the rejects file \(rejectsPath); check that its folder exists and is writable — nothing was imported")
        }
        guard let handle = FileHandle(forWritingAtPath: rejectsPath) else {
            throw WinnowError.invalidArgument("cannot write the rejects file \(rejectsPath); check its permissions — nothing was imported")
        }
        try? handle.close()
    }

    static func appendRejects(_ rejects: [(RecordProblem, String?)], path: String, to rejectsPath: String) throws {
        var text = ""
        for (problem, raw) in rejects {
            text += "{\"file\":\(JSONText.quote(path)),\"line\":\(problem.line),\"reason\":\(JSONText.quote(problem.reason))"
            // Always present: null only where the record's text was not kept (a line over
            // --max-record-bytes, a CSV record whose quoting is broken).
            text += ",\"raw\":\(raw.map(JSONText.quote) ?? "null")"
            text += "}\n"
        }
        guard let data = text.data(using: .utf8) else { return }
        try prepareRejects(rejectsPath)
        guard let handle = FileHandle(forWritingAtPath: rejectsPath) else {
            throw WinnowError.invalidArgument("cannot write the rejects file \(rejectsPath); check its permissions")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            throw WinnowError.writeFailed(path: rejectsPath, detail: "\(error.localizedDescription) (writing the rejects)")
        }
    }
}

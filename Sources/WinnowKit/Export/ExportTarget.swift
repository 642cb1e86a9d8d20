import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Where an export may be written. An existing `--out` folder is replaced only when it is
/// empty or a previous Winnow export holding nothing else (and only with `--force` when not
/// empty); the store's folder, the current folder or an ancestor, `/` and the home folder are
/// never replaced.
enum ExportTarget {
    /// Refuses `out` (as given by the user) when replacing it could delete what Winnow did not
    /// write. Run before the export and again right before the old folder is replaced.
    static func check(_ out: String, force: Bool, storePath: String) throws {
        let fm = FileManager.default
        let url = URL(fileURLWithPath: out)
        guard fileType(url.path) != nil else { return } // nothing there yet
        let real = resolved(url.path)
        let store = resolved(storePath)
        if real == store || real == store + "-wal" || real == store + "-shm" {
            throw WinnowError.invalidArgument("--out \(out) is the store \(storePath) (or its -wal/-shm file); name a new folder for the export, such as --out ./export")
        }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw WinnowError.invalidArgument("--out \(out) is a symbolic link to something missing; remove the link or name another folder")
        }
        guard isDir.boolValue else { throw WinnowError.invalidArgument("--out \(out) is a file; name a folder") }

        let refuse = { (what: String) -> WinnowError in
            .invalidArgument("--out \(out) \(what) (\(contents(real))); an export never replaces it — name a new folder, such as --out \(suggestion(out))")
        }
        if real == "/" { throw refuse("is the root folder") }
        if let home = ProcessInfo.processInfo.environment["HOME"].map(resolved), !home.isEmpty, real == home {
            throw refuse("is the home folder \(home)")
        }
        let cwd = resolved(fm.currentDirectoryPath)
        if cwd == real { throw refuse("is the current folder \(cwd)") }
        if cwd.hasPrefix(real + "/") { throw refuse("holds the current folder \(cwd)") }
        for file in [store, store + "-wal", store + "-shm"] where file.hasPrefix(real + "/") {
            throw refuse("holds the store \(storePath)")
        }

        let entries = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
        if entries.isEmpty { return }
        if !force {
            throw WinnowError.invalidArgument("--out \(out) is not empty; name a new folder, or pass --force to replace a previous Winnow export there")
        }
        let foreign = foreignFiles(real)
        if !foreign.isEmpty {
            throw WinnowError.invalidArgument(
                "--out \(out) holds files an export did not write (\(list(foreign))); --force replaces only an empty folder or a previous Winnow export — name a new folder, or move those files away"
            )
        }
    }

    /// The folders above `out` that do not exist yet (absolute, outermost first), which the
    /// export creates; refused when the nearest one that exists is not a folder Winnow can
    /// write in.
    static func missingParents(_ out: String) throws -> [String] {
        var missing: [String] = []
        var url = URL(fileURLWithPath: out).standardizedFileURL.deletingLastPathComponent()
        while fileType(url.path) == nil {
            missing.insert(url.path, at: 0)
            let up = url.deletingLastPathComponent()
            if up.path == url.path { break }
            url = up
        }
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir)
        guard isDir.boolValue else {
            throw WinnowError.invalidArgument(
                "cannot write --out \(out): \(url.path) is \(exists ? "a file" : "a symbolic link to something missing"), not a folder; name another --out")
        }
        guard FileManager.default.isWritableFile(atPath: url.path) else {
            throw WinnowError.invalidArgument(
                "cannot write in \(url.path): the folder is read-only" + (missing.first.map { " (the export would create \($0) in it)" } ?? "") + "; name another --out")
        }
        return missing
    }

    /// The entries under `dir` (relative paths) that a Winnow export did not write: all of them
    /// unless manifest.json is a Winnow manifest; otherwise anything it does not list (symbolic
    /// links and folders other than hf's data/ included).
    static func foreignFiles(_ dir: String) -> [String] {
        var allowed: Set<String> = []
        var folders: Set<String> = []
        if fileType(dir + "/manifest.json") == .regular,
            let data = FileManager.default.contents(atPath: dir + "/manifest.json"),
            let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            manifest["tool_version"] is String, manifest["fingerprint"] is String, manifest["snapshot"] is String,
            let format = manifest["format"] as? String, let splits = manifest["splits"] as? [String: Any]
        {
            allowed.insert("manifest.json")
            for case let split as [String: Any] in splits.values {
                if let file = split["file"] as? String { allowed.insert(file) }
                for case let shard as [String: Any] in split["files"] as? [Any] ?? [] {
                    if let file = shard["file"] as? String { allowed.insert(file) }
                }
            }
            if format == ExportFormat.hf.rawValue {
                allowed.insert("README.md")
                folders.insert("data")
            }
            if format == ExportFormat.documents.rawValue { folders.insert("documents") }
        }
        var foreign: [String] = []
        func walk(_ relative: String) {
            let path = relative.isEmpty ? dir : dir + "/" + relative
            for entry in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() {
                let name = relative.isEmpty ? entry : relative + "/" + entry
                switch fileType(dir + "/" + name) {
                case .directory? where folders.contains(name): walk(name)
                case .regular? where allowed.contains(name): break
                default: foreign.append(name + (fileType(dir + "/" + name) == .directory ? "/" : ""))
                }
            }
        }
        walk("")
        return foreign
    }

    enum FileType { case regular, directory, other }

    /// What is at `path`, without following a final symbolic link; nil when nothing is.
    static func fileType(_ path: String) -> FileType? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The absolute path with symbolic links and `.`/`..` resolved (the folder's own path
    /// resolved when the file itself does not exist yet).
    static func resolved(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        if let real = realpath(absolute, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let url = URL(fileURLWithPath: absolute)
        let parent = url.deletingLastPathComponent().path
        guard parent != absolute else { return absolute }
        return resolved(parent) + "/" + url.lastPathComponent
    }

    /// A short listing of a folder's top level: "it holds a, b, c and 2 more", or "it is empty".
    static func contents(_ dir: String) -> String {
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        return entries.isEmpty ? "it is empty" : "it holds " + list(entries)
    }

    static func list(_ names: [String]) -> String {
        let shown = names.prefix(5).joined(separator: ", ")
        return names.count > 5 ? shown + " and \(names.count - 5) more" : shown
    }

    private static func suggestion(_ out: String) -> String {
        out == "/" || out.hasSuffix("/.") || out == "." || out == ".." || out.hasSuffix("/..") || out.hasPrefix("~") ? "./export" : out + "/export"
    }
}

/// Step 2 of an export, the destination: a temporary folder beside `--out` that the files are
/// written into, renamed to `--out` once they are complete, so a failed or killed export never
/// leaves half a folder at `--out`.
struct ExportStaging {
    /// `--out` as the user gave it (the messages name it so).
    let given: String
    let out: URL
    let folder: URL

    /// Creates the missing parents of `out` (`ExportTarget.missingParents`) and a fresh
    /// temporary folder, removing the ones killed exports left.
    init(out path: String, missingParents: [String]) throws {
        let fm = FileManager.default
        given = path
        out = URL(fileURLWithPath: path)
        if let deepest = missingParents.last {
            do { try fm.createDirectory(atPath: deepest, withIntermediateDirectories: true) } catch {
                throw WinnowError.invalidArgument("cannot create the folder \(deepest) for --out \(path): \(error.localizedDescription)")
            }
        }
        let parent = out.deletingLastPathComponent()
        let prefix = ".\(out.lastPathComponent).winnow-tmp-"
        for entry in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] where entry.hasPrefix(prefix) {
            if let pid = Int32(entry.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) == 0 { continue } // a live export
            try? fm.removeItem(at: parent.appendingPathComponent(entry))
        }
        folder = parent.appendingPathComponent(prefix + "\(getpid())")
        try? fm.removeItem(at: folder)
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Removes the temporary folder (nothing is left once it was renamed).
    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Puts the complete folder at `--out`, looking again first: the folder there may have
    /// changed while the files were written.
    func place(force: Bool, storePath: String) throws {
        try ExportTarget.check(given, force: force, storePath: storePath)
        if ExportTarget.fileType(out.path) != nil { try FileManager.default.removeItem(at: out) }
        try FileManager.default.moveItem(at: folder, to: out)
    }
}

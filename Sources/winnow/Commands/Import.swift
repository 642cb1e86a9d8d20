import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow import FILE...`: bring corpora into the store.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import corpora (JSONL, JSON array, CSV, TSV; .gz read transparently).",
            discussion: """
                Each file is written in short batches that let other writers (reviewers) in; with \
                --on-error abort the whole file is checked first, so a bad file leaves no trace, and \
                a killed import is finished by running it again. FILE - reads standard input. Records whose \
                content hash is already stored are not stored again; each occurrence is kept as \
                provenance, and a different label raises a label-conflict flag. Creates the store \
                if it is missing. Re-importing the same file changes nothing.

                Examples:
                  winnow import reviews.jsonl --map scene.domain=domain
                  winnow import nli.csv --kind pair --map text_a=premise --map text_b=hypothesis
                  winnow import raw.jsonl.gz --on-error skip --rejects rejects.jsonl

                Imported with a wrong mapping? Run the import again with the right --map and \
                --update: samples already stored get the file's labels, scenes and meta (a new \
                revision; reviewers' work is kept); no new samples are added.
                """)

        @OptionGroup var store: StoreOptions

        @Argument(help: "Files to import, in order (- for standard input).")
        var files: [String] = []

        @Flag(
            name: .customLong("close-unfinished"),
            help: "Close the imports left unfinished by killed processes as they are (their stored records stay); for a file that cannot be imported again.")
        var closeUnfinished = false

        @Option(help: "Input format, when the file name does not say (jsonl, json, csv, tsv, parquet).")
        var format: InputFormat?

        @Option(help: "Sample kind, when the field names do not say (text, pair, instruction, chat).")
        var kind: SampleKind?

        @Option(
            name: .customLong("map"),
            help: ArgumentHelp(
                "Field mapping ROLE=FIELD; roles: id, text, text_a, text_b, label, score, instruction, input, output, messages, scene.DIM, meta.KEY. Repeatable.",
                valueName: "ROLE=FIELD"))
        var map: [String] = []

        @Option(name: .customLong("on-error"), help: "abort: a malformed record stops the file and nothing of it is imported; skip: import the rest and report the rejects.")
        var onError: OnError = .abort

        @Option(help: "With --on-error skip: append each rejected record with its reason to this JSONL file.")
        var rejects: String?

        @Option(name: .customLong("max-record-bytes"), help: "Longest record accepted, in bytes.")
        var maxRecordBytes: Int = 16 << 20

        @Flag(help: "Give samples already stored the file's labels, scenes and meta (to fix a wrong --map); adds no samples.")
        var update = false

        @OptionGroup var output: JSONOption

        func validate() throws {
            if files.isEmpty && !closeUnfinished { throw ValidationError("Pass the files to import (or - for standard input).") }
            if !files.isEmpty && closeUnfinished { throw ValidationError("--close-unfinished takes no files: it closes the unfinished imports already in the store.") }
            if rejects != nil && onError != .skip {
                throw ValidationError("--rejects goes with --on-error skip (with abort, nothing is imported and every bad record is reported).")
            }
            if maxRecordBytes < 1 { throw ValidationError("--max-record-bytes must be a positive number of bytes.") }
        }

        func run() throws {
            if closeUnfinished {
                let closed = try Store(path: store.path).closeUnfinishedImports()
                if closed.isEmpty { emit("no unfinished import to close\n") }
                for c in closed { emit("closed the unfinished import of \(c.path) as it is (\(c.read) records read); importing the same file again now imports it anew\n") }
                return
            }
            var options = ImportOptions()
            options.format = format
            options.kind = kind
            options.map = try FieldMapping.parseOverrides(map)
            options.onError = onError
            options.rejectsPath = rejects
            options.maxRecordBytes = maxRecordBytes
            options.update = update
            if files.count > 1 {
                // One --map for several files: a field some of them lack is a warning for those.
                try Importer.checkMapFields(files, options: options)
                options.strictMap = false
            }
            if let rejects { try Importer.prepareRejects(rejects) } // before anything is imported
            let opened = try store.open(.createIfMissing)
            let importer = Importer(store: opened, options: options)
            var results: [ImportResult] = []
            for file in files {
                let bar = ProgressBar(label: (file as NSString).lastPathComponent)
                let result: ImportResult
                do {
                    result = try importer.importFile(file) { p in
                        bar.update(done: p.bytesRead, total: p.totalBytes, items: p.records, unit: "rec")
                    }
                    bar.finish()
                } catch {
                    bar.finish()
                    // Say what the earlier files committed (they stay), and what was not run.
                    for done in results {
                        Terminal.note(
                            "committed before the error: \(done.path): "
                                + (done.status == "unchanged" ? "already imported" : "new \(done.imported), duplicates \(done.duplicates), rejected \(done.rejected)"))
                    }
                    let rest = files.drop(while: { $0 != file }).dropFirst()
                    if !rest.isEmpty { Terminal.note("not imported: \(rest.joined(separator: ", ")) (run the command again for them)") }
                    throw error
                }
                results.append(result)
                if !output.json { report(result) }
            }
            let totals = ImportTotals(results)
            try output.render(ImportReport(files: results, totals: totals)) {
                if results.count > 1 { emit("total: " + totals.line + "\n") }
            }
        }

        private func report(_ result: ImportResult) {
            for warning in result.warnings ?? [] { Terminal.note("warning: " + warning) }
            if result.status == "unchanged" {
                emit("\(result.path): already imported (same SHA-256); nothing changed\n")
                if let note = result.note { Terminal.note(note) }
                return
            }
            if result.status == "updated" {
                for problem in result.problems ?? [] { Terminal.note("rejected: " + problem) }
                emit(
                    "\(result.path): \(result.kind ?? "?") · read \(result.read), updated \(result.updated ?? 0), not in the store \(result.notStored ?? 0), rejected \(result.rejected)\n"
                )
                if (result.notStored ?? 0) > 0 {
                    Terminal.note(
                        "\(result.notStored ?? 0) records of \(result.path) are not in the store (--update adds no samples); import the file without --update to add them")
                }
                return
            }
            for problem in result.problems ?? [] { Terminal.note("rejected: " + problem) }
            if result.rejected > (result.problems?.count ?? 0) {
                Terminal.note("rejected: … \(result.rejected - (result.problems?.count ?? 0)) more")
            }
            let rate = result.seconds > 0 ? Double(result.read) / result.seconds : 0
            emit(
                "\(result.path): \(result.kind ?? "?") · read \(result.read), new \(result.imported), duplicates \(result.duplicates), label conflicts \(result.labelConflicts), rejected \(result.rejected) · \(Format.seconds(result.seconds)) s, \(Int(rate)) records/s\n"
            )
        }
    }
}

/// Totals over the files of one `winnow import`.
struct ImportTotals: Encodable {
    var read = 0, imported = 0, duplicates = 0, labelConflicts = 0, rejected = 0
    var seconds = 0.0

    init(_ results: [ImportResult]) {
        for r in results {
            read += r.read; imported += r.imported; duplicates += r.duplicates
            labelConflicts += r.labelConflicts; rejected += r.rejected; seconds += r.seconds
        }
    }

    var line: String {
        "read \(read), new \(imported), duplicates \(duplicates), label conflicts \(labelConflicts), rejected \(rejected) · \(Format.seconds(seconds)) s"
    }

    enum CodingKeys: String, CodingKey {
        case read, imported, duplicates, rejected, seconds
        case labelConflicts = "label_conflicts"
    }
}

struct ImportReport: Encodable {
    var files: [ImportResult]
    var totals: ImportTotals
}

import ArgumentParser
import Foundation
import WinnowKit

extension WinnowCommand {
    /// `winnow check`: is the store sound?
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the store: SQLite integrity, foreign keys, and every snapshot's fingerprint.",
            discussion: """
                Reads the store through a read-only connection (nothing is written, not even a \
                migration). Exit 0 when sound; exit 4 when the file is damaged or a snapshot's \
                members no longer match its fingerprint (the message names them).

                Example: winnow check --db data/curation.db
                """)

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let report = try Store.check(path: store.path)
            try output.render(report) {
                var out = "integrity: \(report.integrity.joined(separator: "; "))\n"
                out += "foreign keys: \(report.foreignKeyProblems == 0 ? "ok" : "\(report.foreignKeyProblems) broken references")\n"
                if report.augmentationProblems > 0 { out += "augmented samples: \(report.augmentationProblems) rows Winnow does not write\n" }
                for s in report.snapshots {
                    out +=
                        "snapshot \(s.name): "
                        + (s.ok ? "ok (\(s.members) members)\n" : "FINGERPRINT MISMATCH (stored \(s.stored.prefix(16)), recomputed \(s.recomputed.prefix(16)))\n")
                }
                emit(out)
            }
            if !report.ok {
                var problems: [String] = []
                if report.integrity != ["ok"] { problems.append("integrity_check: \(report.integrity.first ?? "?")") }
                if report.foreignKeyProblems > 0 { problems.append("\(report.foreignKeyProblems) broken foreign keys") }
                if report.augmentationProblems > 0 {
                    problems.append("\(report.augmentationProblems) augmented_samples rows with an augmented parent, the sample as its own parent, or operations not a JSON array")
                }
                let bad = report.snapshots.filter { !$0.ok }.map(\.name)
                if !bad.isEmpty { problems.append("snapshot \(bad.joined(separator: ", ")) no longer matches its fingerprint") }
                throw WinnowError.storeDamaged(path: store.path, detail: problems.joined(separator: "; "))
            }
        }
    }
}

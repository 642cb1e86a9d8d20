import Foundation

extension Store {
    /// Writes a snapshot for fine-tuning: split files, manifest.json (and a dataset card for
    /// `hf`), into a temporary folder renamed to `out` when complete. Byte-identical for the
    /// same snapshot and options. Missing parent folders of `out` are created (and removed
    /// again, if still empty, when the export fails).
    public func export(snapshot name: String, options: ExportOptions) throws -> ExportResult {
        var options = options
        options.scheme = try Names.valid(options.scheme, .scheme)
        try DocumentsExport.check(options)
        try ExportTarget.check(options.out, force: options.force, storePath: path)
        let missing = try ExportTarget.missingParents(options.out)
        do {
            // Another export may save assignments for the same scheme between our read and our
            // write; then the files are made again from the assignments it saved.
            var attempt = 1
            while true {
                if let result = try exportOnce(snapshot: name, options: options, missingParents: missing, lastAttempt: attempt == 3) {
                    return result
                }
                attempt += 1
            }
        } catch {
            for folder in missing.reversed() { rmdir(folder) } // only the empty ones go
            throw error
        }
    }

    /// One attempt of `export`, in its steps: the plan, the destination, the split files,
    /// the card and manifest, saving the split assignments, putting the folder at `out`.
    /// nil when the scheme changed under it and it must be redone.
    private func exportOnce(
        snapshot name: String, options: ExportOptions, missingParents: [String],
        lastAttempt: Bool
    ) throws -> ExportResult? {
        let plan = try read { db in try ExportPlan(db, snapshot: name, options: options) }
        let staging = try ExportStaging(out: options.out, missingParents: missingParents)
        defer { staging.remove() } // a failed export leaves no temporary folder
        let (splits, shape) =
            options.format == .documents
            ? (try writeDocuments(plan, into: staging.folder, options: options), DatasetCard.Shape())
            : try writeSplits(plan, into: staging.folder, options: options)
        var warnings: [String] = []
        if !plan.splits.clustersFrozen, plan.splits.settings.group == .semanticDuplicate {
            warnings.append(
                "snapshot \(name) was made before semantic-duplicate clusters were frozen with snapshots (schema 0008): --group semantic-duplicate took them from the semantic-duplicate flags as they are now, so flags changed since the snapshot was made change its splits (snapshot the same selection again to freeze them)"
            )
        } else if !plan.splits.clustersFrozen {
            warnings.append(
                "snapshot \(name) was made before near-duplicate clusters were frozen with snapshots (migration 0006): --group near-duplicate took them from the near-duplicate flags as they are now, so flags changed since the snapshot was made change its splits (snapshot the same selection again to freeze them)"
            )
        }
        if plan.splits.clustersFrozenBeforeDetection, let group = plan.splits.settings.group?.rawValue {
            warnings.append(
                "snapshot \(name) was made before \(group) detection ran, so no clusters were frozen with it: --group \(group) keeps no \(group == "near-duplicate" ? "near" : "semantic") duplicates together, though its members have \(group) flags now; to keep them in one split, snapshot the same selection again (clusters are frozen at `snapshot create`)"
            )
        }
        if options.format == .hf,
            let warning = try DatasetCard.write(plan, scheme: options.scheme, splits: splits, shape: shape, to: staging.folder)
        {
            warnings.append(warning)
        }
        var resampled: [String] = []
        if let resampling = plan.resampling {
            let report = resampling.report(format: options.format)
            resampled = report.summaries
            warnings += report.warnings
        }
        let manifest = ExportManifest(plan, options: options, splits: splits)
        try Data((try manifest.text() + "\n").utf8).write(to: staging.folder.appendingPathComponent("manifest.json"))

        // The files are complete: save the scheme and the new assignments in a short
        // transaction of their own (none when every member already has its split).
        let saved =
            plan.splits.schemeID != nil && plan.splits.fresh.isEmpty
            ? true : try writeImmediate { db in try saveSplits(db, plan.splits, options: options) }
        if !saved {
            if lastAttempt {
                throw WinnowError.invalidArgument(
                    "split scheme '\(options.scheme)' kept changing while this export ran (other exports of it at the same time); nothing was written — run the export again")
            }
            return nil
        }
        Faults.point("export")
        do {
            try staging.place(force: options.force, storePath: path)
        } catch {
            let detail = (error as? WinnowError)?.description ?? error.localizedDescription
            throw WinnowError.invalidArgument(
                "the export of \(name) was complete but could not be put at --out \(options.out): \(detail). The split assignments were saved, so the same export run again writes the same files"
            )
        }
        return ExportResult(manifest: manifest, settings: plan.splits.settings, createdFolders: missingParents, warnings: warnings, resampled: resampled)
    }
}

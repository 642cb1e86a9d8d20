import Foundation
import GRDB
import Testing

/// `winnow augment` through the built binary: counts against a small taxonomy, provenance,
/// the external generator's good and bad lines and exit codes, the origin filters, dry runs
/// and the messages of bad arguments.
@Suite struct AugmentCLITests {
    static let generators = fixtures + "/generators"

    /// n1–n4: domain news, label ham; f1–f2: domain finance, label spam. Targets: news 4,
    /// finance 6, legal 3 (no samples).
    func store() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        var lines: [String] = []
        for i in 1...4 { lines.append(#"{"id": "n\#(i)", "text": "news story number \#(i)", "label": "ham", "domain": "news"}"#) }
        for i in 1...2 { lines.append(#"{"id": "f\#(i)", "text": "finance note number \#(i)", "label": "spam", "domain": "finance"}"#) }
        let input = dir.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        #expect(try winnow(["import", input, "--map", "scene.domain=domain", "--db", db]).status == 0)
        let taxonomy = dir.write("t.yaml", "dimensions:\n  domain:\n    categories:\n      news: 4\n      finance: 6\n      legal: 3\n")
        #expect(try winnow(["taxonomy", "load", taxonomy, "--db", db]).status == 0)
        return (dir, db)
    }

    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)\n\(run.stderr)")
    }

    static let suffix = "python3 \(generators)/suffix.py"

    @Test func toTargetWithAGeneratorFillsTheCategoryAndEverySampleKnowsItsParent() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["augment", "--scene", "domain=finance", "--to-target", "--command", Self.suffix, "--seed", "3", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let r = try json(run)
        #expect(r["requested"] as? Int == 4 && r["made"] as? Int == 4 && r["parents"] as? Int == 2 && r["parents_used"] as? Int == 2)
        #expect(r["skipped"] as? Int == 0 && r["missing"] as? Int == 0 && r["dry_run"] as? Bool == false)
        let uids = try #require(r["samples"] as? [String])
        #expect(uids.count == 4 && uids.allSatisfy { $0.hasPrefix("f1~aug-") || $0.hasPrefix("f2~aug-") })

        let coverage = try json(try winnow(["coverage", "--dimension", "domain", "--json", "--db", db]))
        let categories = try #require((coverage["dimensions"] as? [[String: Any]])?.first?["categories"] as? [[String: Any]])
        let finance = try #require(categories.first { $0["category"] as? String == "finance" })
        #expect(finance["count"] as? Int == 6 && finance["needed"] as? Int == 0 && finance["augmented"] as? Int == 4)
        let table = try winnow(["coverage", "--dimension", "domain", "--db", db])
        #expect(table.stdout.contains("augmented"))

        let show = try json(try winnow(["show", uids[0], "--json", "--db", db]))
        #expect(show["origin"] as? String == "augmented" && show["label"] as? String == "spam")
        let provenance = try #require(show["augmentation"] as? [String: Any])
        #expect(provenance["operations"] as? [String] == ["command"] && provenance["command"] as? String == Self.suffix)
        #expect(provenance["seed"] as? Int == 3 && provenance["run"] as? Int == r["run"] as? Int)
        #expect(uids[0].hasPrefix((provenance["parent"] as? String ?? "?") + "~aug-"))
        #expect((show["scenes"] as? [[String: Any]])?.map { $0["category"] as? String } == ["finance"])
        let human = try winnow(["show", uids[0], "--db", db])
        #expect(human.stdout.contains("augmented from \(provenance["parent"] as? String ?? "?") by run"))
        #expect(try json(try winnow(["show", "n1", "--json", "--db", db]))["origin"] as? String == "import")

        #expect(try winnow(["samples", "--origin", "augmented", "--count", "--db", db]).stdout == "4\n")
        #expect(try winnow(["samples", "--origin", "import", "--count", "--db", db]).stdout == "6\n")
        let stats = try json(try winnow(["stats", "--json", "--db", db]))
        #expect((stats["samples"] as? [String: Any])?["augmented"] as? Int == 4)
        #expect((stats["labels"] as? [[String: Any]])?.first { $0["label"] as? String == "spam" }?["augmented"] as? Int == 4)
        #expect(try winnow(["stats", "--db", db]).stdout.contains("4 of the active augmented"))
        #expect(try query(db, "SELECT command FROM augment_runs", as: String.self) == Self.suffix)
        #expect(try query(db, "SELECT operations FROM augment_runs", as: String.self) == "")
        #expect(try query(db, "SELECT count(*) FROM augmented_samples WHERE operations = '[\"command\"]'") == 4)
        #expect(try winnow(["check", "--db", db]).status == 0)
    }

    @Test func countsTheCapAndALabelsGapAreAsComputedByHand() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        // spam 2, ham 4: the gap to the largest label is 2.
        let label = try json(try winnow(["augment", "--label", "spam", "--to-target", "--command", Self.suffix, "--json", "--db", db]))
        #expect(label["requested"] as? Int == 2 && label["made"] as? Int == 2)
        // 4 news parents × at most 2 each = 8 of the 10 asked.
        let capped = try winnow(["augment", "--scene", "domain=news", "--count", "10", "--max-per-parent", "2", "--command", Self.suffix, "--db", db])
        #expect(capped.status == 0, "\(capped.stderr)")
        #expect(capped.stdout.contains("made 8 augmented samples from 4 of 4 parents"))
        #expect(capped.stdout.contains("only 8 can be made"))
        #expect(try query(db, "SELECT requested FROM augment_runs WHERE target = 'scene.domain=news'") == 10)
    }

    @Test func aDryRunSaysWhatWouldBeMadeAndWritesNothing() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["augment", "--scene", "domain=finance", "--to-target", "--dry-run", "--command", Self.suffix, "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("scene.domain=finance: would make 4 from 2 of 2 parents"))
        #expect(try query(db, "SELECT count(*) FROM samples") == 6)
        #expect(try query(db, "SELECT count(*) FROM augment_runs") == 0)
    }

    @Test func aGeneratorsBadLinesAreNamedAndNothingIsStoredUnlessSkipped() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let bad = "python3 \(Self.generators)/bad-lines.py"
        // --count 4: two variants each, so lines 5 and 6 (the first parent's second and third)
        // are checked, not left out as extras.
        let run = try winnow(["augment", "--scene", "domain=finance", "--count", "4", "--command", bad, "--db", db])
        #expect(run.status == 1)
        for expected in [
            "\(bad) output:2: is not valid JSON",
            "\(bad) output:3: names parent 'no-such-parent', which is not among the 2 parents sent",
            "\(bad) output:4: missing required field 'text'",
            "\(bad) output:5: duplicate: the same content as the candidate on output line 1",
            "\(bad) output:6: is its parent",
            "\(bad) output:8: has kind pair but its parent",
            "nothing was stored (--on-error abort)",
        ] {
            #expect(run.stderr.contains(expected), "\(expected) in \(run.stderr)")
        }
        #expect(!run.stderr.contains("output:1:") && !run.stderr.contains("output:7:"))
        #expect(try query(db, "SELECT count(*) FROM samples") == 6 && query(db, "SELECT count(*) FROM augment_runs") == 0)

        let skip = try json(try winnow(["augment", "--scene", "domain=finance", "--count", "4", "--command", bad, "--on-error", "skip", "--json", "--db", db]))
        #expect(skip["made"] as? Int == 2 && skip["skipped_invalid"] as? Int == 4 && skip["skipped_duplicate"] as? Int == 2)
        #expect(try query(db, "SELECT skipped FROM augment_runs") == 6)
    }

    @Test func aFailingOrMissingGeneratorStoresNothing() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let fails = try winnow(["augment", "--label", "spam", "--count", "1", "--command", "sh \(Self.generators)/fails.sh", "--db", db])
        #expect(fails.status == 1)
        #expect(fails.stderr.contains("fails.sh: the model is not loaded")) // its stderr reaches the user
        #expect(fails.stderr.contains("exited with status 3") && fails.stderr.contains("nothing was stored"))
        let missing = try winnow(["augment", "--label", "spam", "--count", "1", "--command", "no-such-generator-xyz --fast", "--db", db])
        #expect(missing.status == 1 && missing.stderr.contains("was not found"))
        #expect(try query(db, "SELECT count(*) FROM samples") == 6 && query(db, "SELECT count(*) FROM augment_runs") == 0)
    }

    @Test func aLargeRunStreamsBothWaysWithoutDeadlock() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let filler = String(repeating: "lorem ipsum dolor ", count: 120) // ~2 KB a text: MBs each way
        let lines = (1...600).map { #"{"id": "b\#($0)", "text": "\#(filler) \#($0)", "label": "big"}"# }
        let input = dir.write("big.jsonl", lines.joined(separator: "\n") + "\n")
        #expect(try winnow(["import", input, "--db", db]).status == 0)
        let r = try json(try winnow(["augment", "--label", "big", "--count", "1200", "--command", Self.suffix, "--json", "--db", db]))
        #expect(r["made"] as? Int == 1200)
    }

    @Test func snapshotsAndQueuesTellAugmentedSamplesApart() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        #expect(try winnow(["augment", "--scene", "domain=finance", "--count", "3", "--command", Self.suffix, "--db", db]).status == 0)
        #expect(try json(try winnow(["snapshot", "create", "all", "--json", "--db", db]))["members"] as? Int == 9)
        #expect(try json(try winnow(["snapshot", "create", "real", "--exclude-augmented", "--json", "--db", db]))["members"] as? Int == 6)
        let queue = try winnow(["queue", "create", "generated", "--origin", "augmented", "--db", db])
        #expect(queue.stdout.contains("3 items added"), "\(queue.stderr)")
    }

    @Test func badArgumentsAreRefusedWithWhatToDo() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let cases: [([String], String)] = [
            (["--scene", "domain=finance", "--label", "spam", "--count", "1"], "Pass one of --scene DIM=CAT or --label L"),
            (["--count", "1"], "Pass one of --scene DIM=CAT or --label L"),
            (["--label", "spam"], "Pass one of --to-target"),
            (["--label", "spam", "--to-target", "--count", "2"], "Pass one of --to-target"),
            (["--label", "spam", "--count", "0"], "--count must be 1 or more"),
            (["--label", "spam", "--count", "1", "--rate", "0"], "--rate must be in (0, 1]"),
            (["--label", "spam", "--count", "1", "--rate", "1.5"], "--rate must be in (0, 1]"),
            (["--label", "spam", "--count", "1", "--ops", "synonym,shout"], "unknown operation 'shout'"),
            (["--label", "spam", "--count", "1", "--ops", "swap", "--command", "cat"], "--ops goes with the built-in operations"),
            (["--label", "spam", "--count", "1", "--on-error", "skip"], "--on-error goes with --command"),
            (["--scene", "domain", "--count", "1"], "--scene takes DIM=CAT"),
        ]
        for (arguments, message) in cases {
            let run = try winnow(["augment"] + arguments + ["--db", db])
            #expect(run.status == 64, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        let store: [([String], String)] = [
            (["--scene", "domain=sports", "--count", "1"], "unknown category of domain 'sports'; known: finance, legal, news"),
            (["--scene", "topic=x", "--count", "1"], "unknown scene dimension 'topic'"),
            (["--label", "eggs", "--count", "1"], "unknown label 'eggs'; known: ham, spam"),
            (["--scene", "domain=legal", "--count", "1"], "no parent to augment from"),
            (["--scene", "domain=legal", "--to-target"], "it needs 3 new samples to reach its target (as `winnow plan` reports); augmentation cannot fill an empty category"),
        ]
        for (arguments, message) in store {
            let run = try winnow(["augment"] + arguments + ["--command", Self.suffix, "--db", db])
            #expect(run.status == 1, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(try query(db, "SELECT count(*) FROM augment_runs") == 0)
    }

    @Test func hugeCapsAndCountsAreCountedWithoutOverflowOrRefusedClearly() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        // Two parents with room Int.max each: the capacity saturates instead of trapping.
        let huge = try winnow(["augment", "--scene", "domain=finance", "--count", "1", "--max-per-parent", "9223372036854775807", "--dry-run", "--json", "--db", db])
        #expect(huge.status == 0, "\(huge.stderr)")
        let r = try json(huge)
        #expect(r["planned"] as? Int == 1 && r["parents_used"] as? Int == 1 && r["capacity"] as? Int == Int.max)
        // The deal is round-robin at any cap: 3 variants over 2 parents use both.
        let three = try json(try winnow(["augment", "--scene", "domain=finance", "--count", "3", "--max-per-parent", "9223372036854775807", "--dry-run", "--json", "--db", db]))
        #expect(three["planned"] as? Int == 3 && three["parents_used"] as? Int == 2)
        // An absurd count is refused before anything is planned.
        let absurd = try winnow(["augment", "--scene", "domain=finance", "--count", "1000000000", "--max-per-parent", "10000000", "--dry-run", "--db", db])
        #expect(absurd.status == 1 && absurd.stderr.contains("--count 1000000000 is more than one run makes (at most 1000000 augmented samples)"), "\(absurd.stderr)")
        #expect(!absurd.stderr.contains("Fatal error"))
        let target = dir.write("big.yaml", "dimensions:\n  domain:\n    categories:\n      news: 4\n      finance: 2000002\n      legal: 3\n")
        #expect(try winnow(["taxonomy", "load", target, "--db", db]).status == 0)
        let toTarget = try winnow(["augment", "--scene", "domain=finance", "--to-target", "--max-per-parent", "10000000", "--dry-run", "--db", db])
        #expect(toTarget.status == 1 && toTarget.stderr.contains("needs 2000000 samples, more than one run makes (at most 1000000)"), "\(toTarget.stderr)")
        #expect(try query(db, "SELECT count(*) FROM augment_runs") == 0)
    }

    @Test func aGeneratorThatFloodsItsOutputIsStoppedAndNothingIsStored() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        // Endless output: read as a stream and stopped past 10 lines a variant (at least 100).
        let flood = #"yes '{"parent": "f1", "text": "flood"}'"#
        let run = try winnow(["augment", "--scene", "domain=finance", "--count", "2", "--command", flood, "--on-error", "skip", "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr.contains("was stopped: it wrote more than 100 candidate lines for the 2 variants asked"), "\(run.stderr)")
        #expect(try query(db, "SELECT count(*) FROM samples") == 6 && query(db, "SELECT count(*) FROM augment_runs") == 0)
        // Many bad lines: the count, and only the first 100 listed.
        let bad = "cat > /dev/null; for i in $(seq 1 150); do echo 'not json'; done"
        let many = try winnow(["augment", "--scene", "domain=finance", "--count", "20", "--command", bad, "--db", db])
        #expect(many.status == 1)
        #expect(many.stderr.contains("output:100: is not valid JSON") && !many.stderr.contains("output:101:"), "\(many.stderr)")
        #expect(many.stderr.contains("… and 50 more bad records"), "\(many.stderr)")
    }

    @Test func aGeneratorsInvalidUTF8IsRefusedAsTheImporterRefusesIt() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let latin1 = #"cat > /dev/null; printf '{"parent": "f1", "text": "caf\351 x"}\n'"#
        let run = try winnow(["augment", "--scene", "domain=finance", "--count", "1", "--command", latin1, "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(latin1) output:1: invalid UTF-8 (byte 0xE9 at column 30)"), "\(run.stderr)")
        #expect(try query(db, "SELECT count(*) FROM samples") == 6)
        #expect(try query(db, "SELECT count(*) FROM contents WHERE text LIKE '%' || char(65533) || '%'") == 0)
    }

    @Test func parentsUsedCountsStoredCandidatesAndARunThatMakesNothingIsNotRecorded() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let one = #"cat > /dev/null; echo '{"parent": "f1", "text": "a new finance note"}'"#
        let r = try json(try winnow(["augment", "--scene", "domain=finance", "--count", "2", "--command", one, "--json", "--db", db]))
        #expect(r["made"] as? Int == 1 && r["parents_used"] as? Int == 1 && r["missing"] as? Int == 1 && r["parents"] as? Int == 2)
        #expect(try query(db, "SELECT count(*) FROM augment_runs") == 1)
        let nothing = try winnow(["augment", "--scene", "domain=finance", "--count", "2", "--command", "cat > /dev/null", "--db", db])
        #expect(nothing.status == 0, "\(nothing.stderr)")
        #expect(nothing.stdout.contains("scene.domain=finance: nothing made from the 2 parents (asked 2); no run was recorded"), "\(nothing.stdout)")
        #expect(nothing.stdout.contains("the generator gave no usable candidate for 2 of the 2 variants asked"), "\(nothing.stdout)")
        #expect(try query(db, "SELECT count(*) FROM augment_runs") == 1 && query(db, "SELECT count(*) FROM samples") == 7)
    }

    @Test func anExtraCandidateIsLeftOutEvenWhenItIsADuplicate() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        // --count 2: one variant each of f1 and f2; lines 2 and 3 are f1's extras, a duplicate
        // of line 1 and of the store: left out as extras, not bad lines.
        let extras =
            #"cat > /dev/null; printf '%s\n' '{"parent": "f1", "text": "fresh one"}' '{"parent": "f1", "text": "fresh one"}' '{"parent": "f1", "text": "finance note number 2"}' '{"parent": "f2", "text": "fresh two"}'"#
        let run = try winnow(["augment", "--scene", "domain=finance", "--count", "2", "--command", extras, "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let r = try json(run)
        #expect(r["made"] as? Int == 2 && r["skipped_extra"] as? Int == 2 && r["skipped_duplicate"] as? Int == 0 && r["skipped_invalid"] as? Int == 0)
    }

    @Test func theBuiltInOperationsMakeNewTextsAndRecordWhatTheyApplied() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["augment", "--label", "ham", "--count", "6", "--ops", "synonym,swap", "--rate", "0.5", "--seed", "11", "--json", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        let r = try json(run)
        let made = try #require(r["made"] as? Int)
        #expect(made + (r["skipped"] as? Int ?? -1) == 6 && made > 0)
        let operations = try #require(try query(db, "SELECT group_concat(operations, ' ') FROM augmented_samples", as: String.self))
        #expect(operations.contains("synonym") || operations.contains("swap"))
        #expect(!operations.contains("delete") && !operations.contains("typo") && !operations.contains("insert"))
        #expect(try query(db, "SELECT operations FROM augment_runs", as: String.self) == "synonym,swap")
        #expect(try query(db, "SELECT rate FROM augment_runs", as: Double.self) == 0.5)
        // Every variant differs from its parent and from everything else stored.
        #expect(try query(db, "SELECT count(DISTINCT hash) FROM contents") == query(db, "SELECT count(*) FROM contents"))
        #expect(try query(db, "SELECT count(*) FROM contents") == 6 + made)
        // The same seed on a fresh store gives the same texts.
        let (other, otherDB) = try store()
        defer { withExtendedLifetime(other) {} }
        let again = try json(try winnow(["augment", "--label", "ham", "--count", "6", "--ops", "synonym,swap", "--rate", "0.5", "--seed", "11", "--json", "--db", otherDB]))
        #expect(again["samples"] as? [String] == r["samples"] as? [String])
    }

    @Test func aOneWordTextCollidesAndIsSkippedAndCounted() throws {
        let dir = TempDir()
        let db = dir.file("w.db")
        let input = dir.write("one.jsonl", #"{"id": "w1", "text": "hi", "label": "one"}"# + "\n")
        #expect(try winnow(["import", input, "--db", db]).status == 0)
        // A swap cannot change one word: every draw is the text unchanged.
        let swap = try json(try winnow(["augment", "--label", "one", "--count", "3", "--ops", "swap", "--json", "--db", db]))
        #expect(swap["made"] as? Int == 0 && swap["skipped_unchanged"] as? Int == 3 && swap["run"] is NSNull)
        #expect(try query(db, "SELECT count(*) FROM augment_runs") == 0) // a run that made nothing is not recorded
        // Typos of "hi" are few: later draws meet earlier ones and are skipped as duplicates.
        let typo = try winnow(["augment", "--label", "one", "--count", "40", "--max-per-parent", "40", "--ops", "typo", "--rate", "1", "--db", db])
        #expect(typo.status == 0, "\(typo.stderr)")
        #expect(typo.stdout.contains("duplicates of content already stored (each after 5 draws)") || typo.stdout.contains("duplicate of content already stored"))
        let made = try #require(try query(db, "SELECT made FROM augment_runs WHERE id = 1"))
        let skipped = try #require(try query(db, "SELECT skipped FROM augment_runs WHERE id = 1"))
        #expect(made > 0 && skipped > 0 && made + skipped == 40)
        #expect(try query(db, "SELECT count(DISTINCT hash) FROM contents") == query(db, "SELECT count(*) FROM contents"))
        #expect(try query(db, "SELECT count(*) FROM samples") == 1 + made)
    }

    @Test func checkValidatesAugmentedSamplesAndAKilledRunLeavesNothing() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        // Killed just before its commit: nothing of the run is there, and the store is sound.
        let killed = try winnow(["augment", "--label", "spam", "--count", "2", "--ops", "swap,delete", "--db", db], env: ["WINNOW_FAULT_AT": "augment:1"])
        #expect(killed.status != 0)
        #expect(try query(db, "SELECT count(*) FROM samples") == 6 && query(db, "SELECT count(*) FROM augment_runs") == 0)
        #expect(try query(db, "PRAGMA integrity_check", as: String.self) == "ok")
        #expect(try winnow(["augment", "--label", "spam", "--count", "2", "--command", Self.suffix, "--db", db]).status == 0)
        let check = try json(try winnow(["check", "--json", "--db", db]))
        #expect(check["ok"] as? Bool == true && check["augmentation_problems"] as? Int == 0)
        // A row Winnow never writes: an augmented sample made the parent of another.
        let writer = try DatabaseQueue(path: db)
        try writer.write { db in
            try db.execute(
                sql: "UPDATE augmented_samples SET parent_id = (SELECT max(sample_id) FROM augmented_samples) WHERE sample_id = (SELECT min(sample_id) FROM augmented_samples)")
        }
        try writer.close()
        let bad = try winnow(["check", "--db", db])
        #expect(bad.status == 4 && bad.stderr.contains("1 augmented_samples rows with an augmented parent"), "\(bad.stderr)")
    }

}

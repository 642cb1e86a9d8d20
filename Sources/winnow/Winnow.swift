import ArgumentParser
import Foundation
import WinnowKit

/// The `winnow` command: a thin layer that parses options, calls WinnowKit and renders.
@main
struct WinnowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "winnow",
        abstract: "Curate fine-tuning datasets in one SQLite store.",
        discussion: """
            Import corpora, find noisy samples, review them, measure coverage, and ship \
            versioned snapshots. The store is one SQLite file: --db PATH, $WINNOW_DB, or ./winnow.db.
            """,
        version: Winnow.version,
        subcommands: [Init.self, Import.self, Samples.self, Show.self, TaxonomyCommand.self, Annotate.self,
                      CoverageCommand.self, DistributionCommand.self, StatsCommand.self, Detect.self, Flags.self,
                      Queue.self, Review.self, Snapshot.self, Export.self,
                      SQL.self, Check.self, Backup.self]
    )

    /// Runs a command body, turning library errors into one clear message and an exit code.
    /// A failed write to stdout is an error (exit 1); a closed pipe (`| head`) ends quietly.
    static func guarded(_ body: () throws -> Void) throws {
        StandardOutput.prepare()
        do {
            try body()
            try StandardOutput.finish()
        } catch let error as StandardOutput.Failure {
            if error.isBrokenPipe { throw ExitCode.success }
            Terminal.error(error.message)
            throw ExitCode(1)
        } catch let error as WinnowError {
            Terminal.error(error.description)
            throw ExitCode(error.exitCode)
        } catch let error as ExitCode {
            StandardOutput.drain()
            throw error
        } catch let error as ValidationError {
            StandardOutput.drain()
            throw error
        } catch let error as CleanExit {
            StandardOutput.drain()
            throw error
        } catch {
            // SQLite's own text (with SQL) never reaches a user: say what it means.
            if let known = Store.userMessage(for: error) {
                Terminal.error(known.message)
                throw ExitCode(known.exitCode)
            }
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
    }
}

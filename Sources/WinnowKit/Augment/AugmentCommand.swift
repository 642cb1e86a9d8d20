import Foundation
import GRDB
#if canImport(Glibc)
    import Glibc
#endif

/// The external generator of `augment --command CMD`: run through `/bin/sh -c`, it reads the
/// chosen parents as JSONL on its standard input and writes candidates as JSONL on its
/// standard output (`{"parent": UID, …content fields of the parent's kind}`); its standard
/// error goes to the user's. Input is written on another thread while the output is read,
/// so neither side blocks on a full pipe.
enum AugmentCommand {
    /// How the generator ended, and why Winnow stopped reading it early, if it did.
    struct Output {
        var status: Int32
        var signalled: Bool
        /// Set when `onLine` asked to stop (or a line was too long): the generator was
        /// terminated and its output is not used.
        var stopped: String?
    }

    /// Longest output line read, as the importer's default `--max-record-bytes`.
    static let maxLineBytes = 16 << 20

    /// Runs `command` with `input` on its standard input; the seed and rate are given to it as
    /// `WINNOW_AUGMENT_SEED` and `WINNOW_AUGMENT_RATE`. Its standard output is read as a stream:
    /// each line (without its newline) goes to `onLine` with its 1-based number as it arrives,
    /// so memory holds one line at a time. `onLine` returns a reason to stop, or nil: on a
    /// reason the generator is terminated and the reason is returned in `Output.stopped`.
    static func run(
        _ command: String, input: Data, seed: UInt64, rate: Double, onLine: (UnsafeRawBufferPointer, Int) -> String?
    ) throws -> Output {
        signal(SIGPIPE, SIG_IGN) // a generator that stops reading gives EPIPE, not a dead winnow
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["WINNOW_AUGMENT_SEED"] = String(seed)
        environment["WINNOW_AUGMENT_RATE"] = String(rate)
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        do {
            try process.run()
        } catch {
            throw WinnowError.invalidArgument("cannot start /bin/sh to run the generator `\(command)`: \(error.localizedDescription); nothing was stored")
        }
        let writeFD = stdin.fileHandleForWriting.fileDescriptor
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            input.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < buffer.count {
                    let n = write(writeFD, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break } // the generator closed its input: it has what it wants
                    offset += n
                }
            }
            close(writeFD)
            done.signal()
        }
        let readFD = stdout.fileHandleForReading.fileDescriptor
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var number = 0
        var stopped: String?
        reading: while true {
            let n = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var from = 0
            for i in 0..<n where chunk[i] == 0x0A {
                pending.append(contentsOf: chunk[from..<i])
                from = i + 1
                number += 1
                if let reason = pending.withUnsafeBytes({ onLine($0, number) }) {
                    stopped = reason
                    break reading
                }
                pending.removeAll(keepingCapacity: pending.count <= 1 << 20)
            }
            pending.append(contentsOf: chunk[from..<n])
            if pending.count > maxLineBytes {
                stopped = "output line \(number + 1) is over \(maxLineBytes) bytes (the longest line a candidate may be)"
                break
            }
        }
        if stopped == nil && !pending.isEmpty {
            number += 1
            stopped = pending.withUnsafeBytes { onLine($0, number) }
        }
        if stopped != nil && process.isRunning { process.terminate() }
        close(readFD) // a generator still writing gets EPIPE
        done.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal, stopped: stopped)
    }

    /// The error of a generator that failed: nothing is stored.
    static func failed(_ command: String, _ output: Output) -> WinnowError {
        if output.signalled {
            return .invalidArgument("the generator `\(command)` was killed by signal \(output.status); nothing was stored")
        }
        if output.status == 127 {
            return .invalidArgument(
                "the generator `\(command)` was not found (/bin/sh exit status 127, its message is above); check the command's name and PATH — nothing was stored")
        }
        if output.status == 126 {
            return .invalidArgument("the generator `\(command)` cannot be run (/bin/sh exit status 126: not executable?); nothing was stored")
        }
        return .invalidArgument(
            "the generator `\(command)` exited with status \(output.status) (its messages are above); nothing was stored — fix it and run again")
    }

    /// A parent as the generator reads it: the line `export --format jsonl` writes (uid, kind,
    /// content fields, label, scenes) plus `variants`, how many candidates are asked of it.
    static func line(_ parent: AugmentParent, variants: Int) -> String {
        var pairs: [(String, String)] = [("uid", JSONText.quote(parent.uid)), ("kind", JSONText.quote(parent.kind.rawValue))]
        switch parent.content {
        case .text(let t): pairs.append(("text", JSONText.quote(t)))
        case .pair(let a, let b):
            pairs += [("text_a", JSONText.quote(a)), ("text_b", JSONText.quote(b))]
            if let score = parent.score { pairs.append(("score", jsonNumber(score))) }
        case .instruction(let i, let input, let o):
            pairs += [("instruction", JSONText.quote(i)), ("input", JSONText.quote(input)), ("output", JSONText.quote(o))]
        case .chat(let m): pairs.append(("messages", SampleContent.messagesJSON(m)))
        }
        pairs.append(("label", parent.label.map(JSONText.quote) ?? "null"))
        pairs.append(("scenes", jsonObject(parent.scenes.map { ($0.dimension, JSONText.quote($0.category)) })))
        pairs.append(("variants", "\(variants)"))
        return jsonObject(pairs)
    }

    /// The field mapping a candidate of `kind` is read with: the names `export --format jsonl` writes.
    static func mapping(_ kind: SampleKind) -> FieldMapping {
        var mapping = FieldMapping(kind: kind, scenes: [], meta: [])
        switch kind {
        case .text: mapping.text = "text"
        case .pair: mapping.textA = "text_a"; mapping.textB = "text_b"
        case .instruction: mapping.instruction = "instruction"; mapping.input = "input"; mapping.output = "output"
        case .chat: mapping.messages = "messages"
        }
        return mapping
    }

    /// The fields a candidate of `kind` must carry, for messages.
    static func fields(_ kind: SampleKind) -> String {
        switch kind {
        case .text: return "\"text\""
        case .pair: return "\"text_a\" and \"text_b\""
        case .instruction: return "\"instruction\", \"input\" (optional) and \"output\""
        case .chat: return "\"messages\" (role and content)"
        }
    }

    /// Reads one output line into a candidate: its parent and content. Problems are reasons
    /// for `CMD output:LINE: reason`.
    static func candidate(_ line: UnsafeRawBufferPointer, parents: [String: AugmentParent], number: Int) throws(RecordError) -> Candidate {
        if let problem = ByteChecks.textProblem(line, advice: "the generator must write UTF-8") { throw RecordError(reason: problem) }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw RecordError(reason: "is not a JSON object; each output line is one candidate {\"parent\": UID, …content fields}")
            }
            object = parsed
        } catch let error as RecordError {
            throw error
        } catch {
            throw RecordError(
                reason: "is not valid JSON; each output line is one candidate {\"parent\": UID, …content fields} (\(String(decoding: line.prefix(60), as: UTF8.self))…)")
        }
        guard let uid = object["parent"] as? String else {
            throw RecordError(reason: "has no \"parent\" string: each candidate names the uid of the parent it was made from")
        }
        guard let parent = parents[uid] else {
            throw RecordError(reason: "names parent '\(uid)', which is not among the \(parents.count) parents sent on standard input; a candidate must name one of their uids")
        }
        if let kind = object["kind"], (kind as? String) != parent.kind.rawValue {
            throw RecordError(
                reason: "has kind \(kind) but its parent \(uid) is a \(parent.kind.rawValue) sample; a candidate has its parent's kind and fields (\(fields(parent.kind)))")
        }
        let record: PreparedRecord
        do {
            record = try RecordBuilder(mapping: mapping(parent.kind)).build(object, line: number)
        } catch {
            throw RecordError(reason: "\(error.reason); a candidate of a \(parent.kind.rawValue) parent has \(fields(parent.kind))")
        }
        return Candidate(line: number, parent: parent, content: record.content, hash: record.hash)
    }

    /// A candidate line that reads well; whether it is kept is decided with the store.
    struct Candidate {
        var line: Int
        var parent: AugmentParent
        var content: SampleContent
        var hash: [UInt8]
    }

    /// Problems of a run: how many, and the first `kept` in line order (messages stay short
    /// however bad the output is).
    struct Problems {
        static let kept = 100
        var first: [RecordProblem] = []
        var total = 0

        mutating func add(_ problem: RecordProblem) {
            total += 1
            if first.count < Self.kept { first.append(problem) }
        }

        /// Both lists, merged in line order.
        func merged(_ other: Problems) -> Problems {
            Problems(first: Array((first + other.first).sorted { $0.line < $1.line }.prefix(Self.kept)), total: total + other.total)
        }
    }

    /// Most non-blank output lines read for `planned` variants: 10 a variant (room for
    /// retries, extras and bad lines), at least 100; past it the generator is stopped.
    static func lineLimit(planned: Int) -> Int { max(100, planned.multipliedReportingOverflow(by: 10).overflow ? Int.max : planned * 10) }
}

extension Store {
    /// `augment --command`: plans the run, sends the parents to the generator (outside any
    /// transaction), checks its candidates, then stores them in one transaction — after
    /// checking that the plan still holds (another writer may have changed the store meanwhile).
    func augmentWithCommand(_ request: AugmentRequest, command: String) throws -> AugmentResult {
        let started = Timestamp.string(clock.now())
        let (plan, parents) = try read { db in
            let plan = try Store.augmentPlan(db, request)
            return (plan, try Store.augmentParents(db, ids: plan.order, slots: plan.slots))
        }
        if request.dryRun || plan.slots.isEmpty { return plan.result }
        var variants: [Int64: Int] = [:]
        for slot in plan.slots { variants[plan.order[slot], default: 0] += 1 }
        var input = Data()
        var sent: [String: AugmentParent] = [:]
        for id in plan.order where variants[id] != nil {
            let parent = parents[id]!
            sent[parent.uid] = parent
            input.append(contentsOf: Array((AugmentCommand.line(parent, variants: variants[id]!) + "\n").utf8))
        }
        let limit = AugmentCommand.lineLimit(planned: plan.result.planned)
        var read = 0
        var readProblems = AugmentCommand.Problems()
        var candidates: [AugmentCommand.Candidate] = []
        let output = try AugmentCommand.run(command, input: input, seed: request.seed, rate: request.rate) { line, number in
            if ByteChecks.isBlank(line) { return nil }
            read += 1
            if read > limit {
                return "it wrote more than \(limit) candidate lines for the \(plan.result.planned) variants asked (at most 10 a variant, at least 100)"
            }
            do {
                candidates.append(try AugmentCommand.candidate(line, parents: sent, number: number))
            } catch let error as RecordError {
                readProblems.add(RecordProblem(line: number, reason: error.reason))
            } catch {
                readProblems.add(RecordProblem(line: number, reason: "\(error)"))
            }
            return nil
        }
        if let stopped = output.stopped {
            throw WinnowError.invalidArgument("the generator `\(command)` was stopped: \(stopped); nothing was stored — fix the generator")
        }
        guard output.status == 0 && !output.signalled else { throw AugmentCommand.failed(command, output) }
        let where_ = "\(command) output"
        return try writeImmediate { db in
            let again = try Store.augmentPlan(db, request)
            guard again.order == plan.order && again.slots == plan.slots else {
                throw WinnowError.invalidArgument(
                    "the store changed while the generator ran (the parents of \(request.target.text) or their variants are not what was sent); nothing was stored — run the command again"
                )
            }
            var result = plan.result
            var problems = AugmentCommand.Problems()
            var accepted: [AugmentCommand.Candidate] = []
            var seen: [[UInt8]: Int] = [:]
            var taken: [Int64: Int] = [:]
            result.skippedInvalid = readProblems.total
            for candidate in candidates {
                // Beyond what was asked of its parent: left out, whatever it is.
                if taken[candidate.parent.id, default: 0] >= variants[candidate.parent.id]! {
                    result.skippedExtra += 1
                    continue
                }
                let reason: String
                if candidate.hash == candidate.parent.hash {
                    reason = "is its parent \(candidate.parent.uid) unchanged (the same content once normalised); a candidate must change the text"
                } else if let earlier = seen[candidate.hash] {
                    reason = "duplicate: the same content as the candidate on output line \(earlier)"
                } else if let owner = try Store.contentOwner(db, hash: candidate.hash) {
                    reason = "duplicate: its content is already in the store as \(owner)"
                } else {
                    seen[candidate.hash] = candidate.line
                    taken[candidate.parent.id, default: 0] += 1
                    accepted.append(candidate)
                    continue
                }
                problems.add(RecordProblem(line: candidate.line, reason: reason))
                result.skippedDuplicate += 1
            }
            let all = readProblems.merged(problems)
            if all.total > 0 && request.onError == .abort {
                throw WinnowError.badRecords(
                    path: where_, problems: all.first, total: all.total,
                    outcome:
                        "nothing was stored (--on-error abort); fix the generator's output, or pass --on-error skip to store the good candidates and count the rest as skipped")
            }
            result.parentsUsed = Set(accepted.map(\.parent.id)).count
            result.missing = plan.result.planned - accepted.count
            // A run that made nothing leaves no trace: no augment_runs row (the summary says why).
            if accepted.isEmpty { return result }
            let runID = try Store.insertAugmentRun(db, request, requested: plan.result.requested, started: started)
            result.run = runID
            let now = Timestamp.string(clock.now())
            for candidate in accepted {
                let uid = try Store.insertAugmented(
                    db, parent: candidate.parent, content: candidate.content, hash: candidate.hash,
                    operations: [Augment.commandOperation], run: runID, now: now)
                result.samples.append(uid)
            }
            result.made = result.samples.count
            result.missing = plan.result.planned - result.made
            try Store.finishAugmentRun(db, run: runID, result: result, finished: Timestamp.string(clock.now()))
            Faults.point("augment")
            return result
        }
    }
}

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
    /// What the generator wrote, line by line, and how it ended.
    struct Output {
        var lines: [Substring]
        var status: Int32
        var signalled: Bool
    }

    /// Runs `command` with `input` on its standard input; the seed and rate are given to it as
    /// `WINNOW_AUGMENT_SEED` and `WINNOW_AUGMENT_RATE`.
    static func run(_ command: String, input: Data, seed: UInt64, rate: Double) throws -> Output {
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
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return Output(lines: lines, status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal)
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
    static func candidate(_ line: Substring, parents: [String: AugmentParent], number: Int) throws(RecordError) -> (parent: AugmentParent, content: SampleContent, hash: [UInt8]) {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw RecordError(reason: "is not a JSON object; each output line is one candidate {\"parent\": UID, …content fields}")
            }
            object = parsed
        } catch let error as RecordError {
            throw error
        } catch {
            throw RecordError(reason: "is not valid JSON; each output line is one candidate {\"parent\": UID, …content fields} (\(line.prefix(60))…)")
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
        return (parent, record.content, record.hash)
    }
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
        let output = try AugmentCommand.run(command, input: input, seed: request.seed, rate: request.rate)
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
            var problems: [RecordProblem] = []
            var accepted: [(parent: AugmentParent, content: SampleContent, hash: [UInt8])] = []
            var seen: [[UInt8]: Int] = [:]
            var taken: [Int64: Int] = [:]
            for (index, line) in output.lines.enumerated() {
                let number = index + 1
                if line.allSatisfy(\.isWhitespace) { continue }
                do {
                    let candidate = try AugmentCommand.candidate(line, parents: sent, number: number)
                    if candidate.hash == candidate.parent.hash {
                        throw RecordError(reason: "is its parent \(candidate.parent.uid) unchanged (the same content once normalised); a candidate must change the text")
                    }
                    if let earlier = seen[candidate.hash] {
                        throw RecordError(reason: "duplicate: the same content as the candidate on output line \(earlier)")
                    }
                    if let owner = try Store.contentOwner(db, hash: candidate.hash) {
                        throw RecordError(reason: "duplicate: its content is already in the store as \(owner)")
                    }
                    seen[candidate.hash] = number
                    if taken[candidate.parent.id, default: 0] >= variants[candidate.parent.id]! {
                        result.skippedExtra += 1 // beyond what was asked of this parent
                        continue
                    }
                    taken[candidate.parent.id, default: 0] += 1
                    accepted.append(candidate)
                } catch let error as RecordError {
                    problems.append(RecordProblem(line: number, reason: error.reason))
                    if error.reason.hasPrefix("duplicate") || error.reason.hasPrefix("is its parent") {
                        result.skippedDuplicate += 1
                    } else {
                        result.skippedInvalid += 1
                    }
                }
            }
            if !problems.isEmpty && request.onError == .abort {
                throw WinnowError.badRecords(
                    path: where_, problems: problems, total: problems.count,
                    outcome:
                        "nothing was stored (--on-error abort); fix the generator's output, or pass --on-error skip to store the good candidates and count the rest as skipped")
            }
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

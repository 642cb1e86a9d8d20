import Foundation
import Testing
@testable import WinnowKit

/// Which fields change, per kind. `typo` at rate 1 changes every word with an ASCII letter,
/// so a field that should change always does and one that should not is easy to see.
@Suite struct AugmentFieldsTests {
    let typo = TextAugmenter(operations: [.typo], rate: 1, wordNet: nil)

    func run(_ content: SampleContent, includeOutput: Bool = false, seed: UInt64 = 7) -> (content: SampleContent, applied: [AugmentOperation]) {
        var rng = SeededGenerator(seed: seed)
        return AugmentFields.augment(content, includeOutput: includeOutput, with: typo, using: &rng)
    }

    @Test func textChangesTheText() {
        let out = run(.text("Fix the printer please"))
        guard case .text(let t) = out.content else { Issue.record("kind changed"); return }
        #expect(t != "Fix the printer please")
        #expect(out.applied == [.typo])
    }

    @Test func pairChangesBothTexts() {
        let out = run(.pair("A man plays guitar", "Someone makes music"))
        guard case .pair(let a, let b) = out.content else { Issue.record("kind changed"); return }
        #expect(a != "A man plays guitar")
        #expect(b != "Someone makes music")
        #expect(out.applied == [.typo])
    }

    @Test func instructionKeepsItsOutputUnlessAsked() {
        let content = SampleContent.instruction(instruction: "Translate to French", input: "Good morning", output: "Bonjour")
        let out = run(content)
        guard case .instruction(let i, let input, let output) = out.content else { Issue.record("kind changed"); return }
        #expect(i != "Translate to French")
        #expect(input != "Good morning")
        #expect(output == "Bonjour")
        let withOutput = run(content, includeOutput: true)
        guard case .instruction(_, _, let changedOutput) = withOutput.content else { Issue.record("kind changed"); return }
        #expect(changedOutput != "Bonjour")
    }

    @Test func anEmptyInputStaysEmpty() {
        let out = run(.instruction(instruction: "Write a haiku", input: "", output: "Autumn moonlight"))
        guard case .instruction(let i, let input, let output) = out.content else { Issue.record("kind changed"); return }
        #expect(i != "Write a haiku")
        #expect(input == "")
        #expect(output == "Autumn moonlight")
    }

    @Test func chatChangesTheUserTurnsOnly() {
        let messages = [
            ChatMessage(role: "system", content: "You are terse"),
            ChatMessage(role: "user", content: "Where is my parcel", extra: ["name": .string("ann"), "weight": .number("1")]),
            ChatMessage(role: "assistant", content: "Let me check", extra: ["tool_calls": .array([.object(["id": .string("c1")])])]),
            ChatMessage(role: "tool", content: "in transit", extra: ["tool_call_id": .string("c1")]),
            ChatMessage(role: "assistant", content: "It is in transit"),
            ChatMessage(role: "user", content: "Thanks a lot"),
            ChatMessage(role: "user", content: "", contentForm: .null),
        ]
        let out = run(.chat(messages))
        guard case .chat(let changed) = out.content else { Issue.record("kind changed"); return }
        #expect(out.applied == [.typo])
        #expect(changed.count == messages.count)
        for (before, after) in zip(messages, changed) {
            #expect(after.role == before.role)
            #expect(after.extra == before.extra)
            #expect(after.contentForm == before.contentForm)
            if before.role == "user" && before.contentForm == .string {
                #expect(after.content != before.content)
            } else {
                #expect(after == before)
            }
        }
    }

    @Test func nothingToChangeGivesTheContentBackWithNothingApplied() {
        let chat = SampleContent.chat([ChatMessage(role: "system", content: "Be nice"), ChatMessage(role: "assistant", content: "Hello there")])
        #expect(run(chat) == (chat, []) ? true : false)
        let cjk = SampleContent.text("東京 😀")
        #expect(run(cjk) == (cjk, []) ? true : false)
        let output = SampleContent.instruction(instruction: "¿¡", input: "", output: "Only the output has words")
        #expect(run(output) == (output, []) ? true : false)
        #expect(run(output, includeOutput: true).applied == [.typo])
    }

    @Test func operationsAreListedOnceInTheOrderFirstApplied() {
        let mixed = TextAugmenter(operations: [.swap, .typo], rate: 0.5, wordNet: nil)
        var seen: Set<[AugmentOperation]> = []
        for seed in UInt64(0)..<40 {
            var rng = SeededGenerator(seed: seed)
            let out = AugmentFields.augment(.pair("alpha beta gamma", "delta epsilon zeta"), includeOutput: false, with: mixed, using: &rng)
            #expect(Set(out.applied).count == out.applied.count)
            seen.insert(out.applied)
        }
        #expect(seen == [[.swap], [.typo], [.swap, .typo], [.typo, .swap]])
    }
}

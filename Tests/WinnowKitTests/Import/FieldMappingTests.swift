import Foundation
import Testing
@testable import WinnowKit

@Suite struct FieldMappingTests {
    @Test func detectsTextKindWithIdAndLabel() throws {
        let m = try FieldMapping.resolve(fields: ["uid", "sentence", "class"], kind: nil, overrides: [:])
        #expect(m.kind == .text)
        #expect(m.text == "sentence")
        #expect(m.id == "uid")
        #expect(m.label == "class")
    }

    @Test(arguments: [
        (["sentence1", "sentence2", "label"], "sentence1", "sentence2"),
        (["premise", "hypothesis"], "premise", "hypothesis"),
        (["query", "passage"], "query", "passage"),
        (["anchor", "positive"], "anchor", "positive"),
    ])
    func detectsPairs(fields: [String], a: String, b: String) throws {
        let m = try FieldMapping.resolve(fields: fields, kind: nil, overrides: [:])
        #expect(m.kind == .pair)
        #expect(m.textA == a)
        #expect(m.textB == b)
    }

    @Test func detectsInstructionAndPromptCompletion() throws {
        let alpaca = try FieldMapping.resolve(fields: ["instruction", "input", "output"], kind: nil, overrides: [:])
        #expect(alpaca.kind == .instruction)
        #expect(alpaca.input == "input")
        let prompt = try FieldMapping.resolve(fields: ["prompt", "completion"], kind: nil, overrides: [:])
        #expect(prompt.kind == .instruction)
        #expect(prompt.instruction == "prompt")
        #expect(prompt.output == "completion")
        let response = try FieldMapping.resolve(fields: ["prompt", "response"], kind: nil, overrides: [:])
        #expect(response.output == "response")
    }

    @Test func detectsChatFromMessagesOrConversations() throws {
        #expect(try FieldMapping.resolve(fields: ["messages"], kind: nil, overrides: [:]).kind == .chat)
        #expect(try FieldMapping.resolve(fields: ["conversations", "id"], kind: nil, overrides: [:]).messages == "conversations")
    }

    @Test func overridesWinAndMappedFieldsAreNotReused() throws {
        let overrides = try FieldMapping.parseOverrides(["text=body", "scene.domain=category", "meta.src=origin"])
        let m = try FieldMapping.resolve(fields: ["body", "category", "origin", "label"], kind: nil, overrides: overrides)
        #expect(m.kind == .text)
        #expect(m.text == "body")
        #expect(m.label == "label")
        #expect(m.scenes.map { $0.0 } == ["domain"])
        #expect(m.scenes.map { $0.1 } == ["category"])
        #expect(m.meta.map { $0.0 } == ["src"])
        // category is mapped to a scene, so it is not taken as the label when label is absent.
        let noLabel = try FieldMapping.resolve(fields: ["body", "category"], kind: nil, overrides: overrides)
        #expect(noLabel.label == nil)
    }

    @Test func unknownFieldsGetAMessageNamingThem() {
        #expect(throws: WinnowError.self) { try FieldMapping.resolve(fields: ["foo", "bar"], kind: nil, overrides: [:]) }
        do {
            _ = try FieldMapping.resolve(fields: ["foo", "bar"], kind: nil, overrides: [:])
        } catch {
            #expect("\(error)".contains("[foo, bar]"))
            #expect("\(error)".contains("--map"))
        }
    }

    @Test func badMapArgumentsAreRefused() throws {
        #expect(throws: WinnowError.self) { try FieldMapping.parseOverrides(["nonsense=x"]) }
        #expect(throws: WinnowError.self) { try FieldMapping.parseOverrides(["text"]) }
        #expect(throws: WinnowError.self) { try FieldMapping.parseOverrides(["text="]) }
        let unmapped = try FieldMapping.parseOverrides(["id="])
        #expect(unmapped[.id] == "")
    }

    @Test func forcedKindWithoutItsFieldsExplainsWhatIsMissing() {
        do {
            _ = try FieldMapping.resolve(fields: ["text"], kind: .pair, overrides: [:])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("--map text_a=FIELD"))
        }
    }
}

import Foundation
import GRDB
import Testing
@testable import WinnowKit

/// Issue 11 items 8 and 9: the content hash is injective and covers every chat message field.
@Suite struct ContentHashTests {
    @Test func separatorsInsideFieldsNoLongerCollide() {
        // On f429961 all three were sha256(b"pair\x1ea\x1fb\x1fc").
        let a = ContentHash.of(.pair("a\u{1F}b", "c"))
        let b = ContentHash.of(.pair("a", "b\u{1F}c"))
        #expect(a != b)
        // sha256(b"pair\x1ea\x1bub\x1fc"), sha256(b"pair\x1ea\x1fb\x1buc") with Python's hashlib.
        #expect(ContentHash.hex(a) == "5455c8637542807d320eca2f789acb4990d0f91267aea12c5af1332bdb7e92b5")
        #expect(ContentHash.hex(b) == "f4908f3337f04d00dc59cf99986b8a95fdedaff7702f2c0a41967d3193f4da8d")
        #expect(
            ContentHash.of(.instruction(instruction: "x\u{1F}", input: "", output: "y"))
                != ContentHash.of(.instruction(instruction: "x", input: "\u{1F}", output: "y")))
        #expect(ContentHash.of(.text("a\u{1B}u")) != ContentHash.of(.text("a\u{1F}")))
        #expect(ContentHash.of(.text("a\u{1E}")) != ContentHash.of(.text("a\u{1B}r")))
    }

    @Test func aOneMessageChatCannotSwallowATwoMessageChat() {
        let two = ContentHash.of(.chat([ChatMessage(role: "user", content: "hi"), ChatMessage(role: "assistant", content: "yo")]))
        let one = ContentHash.of(.chat([ChatMessage(role: "user", content: "hi\u{1F}assistant\u{1F}yo")]))
        #expect(one != two)
    }

    @Test func contentWithoutTheThreeCharactersHashesAsBefore() {
        // The documented values of NormalizationTests, and a plain chat: sha256(b"chat\x1euser\x1fhi").
        #expect(ContentHash.hex(ContentHash.of(.pair("a  b", "c\n"))) == "bc5bd375cc874e40f9b8f436fb0be39e71933b9cb98d035372c1dced98cdc39c")
        #expect(ContentHash.hex(ContentHash.of(.chat([ChatMessage(role: "user", content: "hi")]))) == "fb3e8510bd1bd10fe2731aa02c90c914bceb12dda635591c27d8efde8cbc9e4c")
    }

    @Test func everyMessageFieldIsHashed() {
        let call: JSONValue = .array([
            .object([
                "id": .string("c1"), "type": .string("function"),
                "function": .object(["name": .string("f"), "arguments": .string("{}")]),
            ])
        ])
        let withCall = ChatMessage(role: "assistant", content: "", contentForm: .null, extra: ["tool_calls": call])
        // sha256(b'chat\x1eassistant\x1f\x1bn\x1bktool_calls\x1bv[{"function":{"arguments":"{}","name":"f"},"id":"c1","type":"function"}]')
        #expect(ContentHash.hex(ContentHash.of(.chat([withCall]))) == "f67fde8f1c155b7b7033cc88595a66b23fee13ccbdce6a29659a3394f462c390")
        let variants: [ChatMessage] = [
            ChatMessage(role: "assistant", content: ""),
            ChatMessage(role: "assistant", content: "", contentForm: .null),
            ChatMessage(role: "assistant", content: "", contentForm: .absent),
            ChatMessage(role: "assistant", content: "", extra: ["weight": .number("0")]),
            ChatMessage(role: "assistant", content: "", extra: ["weight": .number("1")]),
            ChatMessage(role: "assistant", content: "", extra: ["name": .string("bob")]),
            ChatMessage(role: "assistant", content: "", extra: ["name": .string("bob"), "weight": .number("0")]),
            withCall,
        ]
        let hashes = Set(variants.map { ContentHash.hex(ContentHash.of(.chat([$0]))) })
        #expect(hashes.count == variants.count)
    }

    @Test func messagesRoundTripThroughTheStoredJSON() throws {
        let line =
            #"{"messages":[{"role":"system","content":"s","name":"sys"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\": 1}"}}],"weight":0},{"role":"tool","tool_call_id":"c1","content":"42"},{"role":"assistant","weight":1.5,"extra":{"b":[true,null,2]}}]}"#
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let mapping = try FieldMapping.resolve(fields: ["messages"], kind: nil, overrides: [:])
        let record = try RecordBuilder(mapping: mapping).build(object, line: 1)
        guard case .chat(let messages) = record.content else { Issue.record("not a chat"); return }
        #expect(messages[1].contentForm == .null)
        #expect(messages[3].contentForm == .absent)
        let stored = SampleContent.messagesJSON(messages)
        #expect(
            stored
                == #"[{"role":"system","content":"s","name":"sys"},{"role":"assistant","content":null,"tool_calls":[{"function":{"arguments":"{\"x\": 1}","name":"f"},"id":"c1","type":"function"}],"weight":0},{"role":"tool","content":"42","tool_call_id":"c1"},{"role":"assistant","extra":{"b":[true,null,2]},"weight":1.5}]"#
        )
        let decoded = try #require(ChatMessage.decodeList(stored))
        #expect(decoded == messages)
        #expect(SampleContent.messagesJSON(decoded) == stored)
        // The same value, read back as JSON, equals what came in.
        let original = try #require(object["messages"] as? NSArray)
        let back = try #require(try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? NSArray)
        #expect(original == back)
        // Codable agrees.
        #expect(try JSONDecoder().decode([ChatMessage].self, from: Data(stored.utf8)) == messages)
    }

    @Test func multimodalContentIsRefusedClearly() throws {
        let object: [String: Any] = ["messages": [["role": "user", "content": [["type": "text", "text": "hi"]]]]]
        let mapping = try FieldMapping.resolve(fields: ["messages"], kind: nil, overrides: [:])
        do {
            _ = try RecordBuilder(mapping: mapping).build(object, line: 3)
            Issue.record("accepted list content")
        } catch {
            #expect(error.reason.contains("message 1 of 'messages' has content that is a list of parts (multimodal content)"))
            #expect(error.reason.contains("give 'content' as a string"))
        }
    }

    @Test func aToolCallIsNotAnEmptyMessage() {
        let call = ChatMessage(role: "assistant", content: "", contentForm: .null, extra: ["tool_calls": .array([])])
        let hits = EmptyDetector().observe(
            DetectSample(
                sampleID: 1, contentID: 1, uid: "u", label: nil,
                content: .chat([ChatMessage(role: "user", content: "q"), call])))
        #expect(hits.isEmpty)
    }
}

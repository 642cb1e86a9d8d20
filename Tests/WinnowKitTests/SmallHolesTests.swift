import Foundation
import Testing
@testable import WinnowKit

/// Issue 11, item 12, in the library: the name rule, the labels rule, chat edits, overflow-free
/// normalisation, the sql guard.
@Suite struct SmallHolesTests {
    @Test func oneRuleForNames() throws {
        for kind in [NameKind.queue, .snapshot, .scheme, .reviewer] {
            for bad in ["", "  ", "\t", "a\nb", "a\u{0}b", "../x", "a/b", "x\u{200B}y", String(repeating: "é", count: 65)] {
                #expect(throws: WinnowError.self, "\(kind) \(bad.debugDescription)") { try Names.valid(bad, kind) }
            }
            #expect(try Names.valid("  v1 ", kind) == "v1")
            #expect(try Names.valid("cafe\u{0301}", kind) == "caf\u{E9}")
            #expect(try Names.valid("noisy labels (2024)", kind) == "noisy labels (2024)")
            #expect(try Names.valid("👩‍💻", kind) == "👩‍💻") // joiners stay
            #expect(try Names.valid(String(repeating: "é", count: 64), kind).count == 64)
        }
        #expect(throws: WinnowError.self) { try Names.valid("a:b", .snapshot) }
        #expect(try Names.valid("a:b", .queue) == "a:b")
        let store = try TempDir().store()
        #expect(throws: WinnowError.self) { try store.createQueue(name: "a\nb", selection: QueueSelection()) }
        #expect(throws: WinnowError.self) { try store.createSnapshot(name: " ", message: nil, selection: SnapshotSelection()) }
    }

    @Test func jsonNumbersBecomeLabelsByValue() {
        #expect(RecordBuilder.numberText(NSNumber(value: 1)) == "1")
        #expect(RecordBuilder.numberText(NSNumber(value: 1.0)) == "1")
        #expect(RecordBuilder.numberText(NSNumber(value: -3.0)) == "-3")
        #expect(RecordBuilder.numberText(NSNumber(value: 0.5)) == "0.5")
        #expect(RecordBuilder.numberText(NSNumber(value: Int64.max)) == "9223372036854775807")
        let parsed = try? JSONSerialization.jsonObject(with: Data("[1, 1.0, 1e0, 2.50]".utf8)) as? [NSNumber]
        #expect(parsed?.map(RecordBuilder.numberText) == ["1", "1", "1", "2.5"])
    }

    @Test func aChatEditStartsFromItsMessages() throws {
        let messages = #"[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]"#
        let item = ReviewItem(
            id: 1, uid: "c1", kind: "chat", content: ["messages": messages], label: nil, scenes: [:], flags: [],
            leaseExpiresAt: "", decided: 0, items: 1)
        let text = try item.editorText()
        #expect(text.contains("\"messages\""))
        #expect(text.contains("\"hello\""))
        // What the editor shows is what an edit takes back, unchanged.
        let content = try Store.editedContent(text, kind: "chat")
        guard case .chat(let back) = content else { Issue.record("not a chat: \(content)"); return }
        #expect(back.map(\.content) == ["hi", "hello"])
        let pair = ReviewItem(
            id: 2, uid: "p1", kind: "pair", content: ["text_a": "a", "text_b": "b"], label: nil, scenes: [:], flags: [],
            leaseExpiresAt: "", decided: 0, items: 1)
        guard case .pair("a", "b") = try Store.editedContent(try pair.editorText(), kind: "pair") else { Issue.record("pair"); return }
    }

    @Test func normalisingHugeWeightsCannotOverflow() {
        let q = Divergence.normalize([1e308, 1e308, 1e308, 0])
        #expect(q.allSatisfy { $0.isFinite })
        #expect(abs(q[0] - 1.0 / 3) < 1e-12)
        #expect(q[3] == 0)
        #expect(Divergence.normalize([0, 0]) == [0, 0])
        #expect(Divergence.normalize([2, 6]) == [0.25, 0.75])
    }

    @Test func theSQLGuardAdmitsOnlyReading() {
        #expect(SQLGuard.allows(21, nil, nil)) // SELECT
        #expect(SQLGuard.allows(20, "samples", "uid")) // READ
        #expect(SQLGuard.allows(31, nil, "count")) // FUNCTION
        #expect(!SQLGuard.allows(31, nil, "fts3_tokenizer"))
        #expect(!SQLGuard.allows(31, nil, "FTS3_TOKENIZER"))
        #expect(!SQLGuard.allows(31, nil, "load_extension"))
        #expect(SQLGuard.allows(19, "table_info", "samples")) // PRAGMA table_info(samples)
        #expect(SQLGuard.allows(19, "user_version", nil))
        #expect(!SQLGuard.allows(19, "user_version", "3"))
        #expect(!SQLGuard.allows(19, "writable_schema", nil))
        for action: Int32 in [9, 18, 23, 24, 25, 22, 28, 32] { // DELETE, INSERT, UPDATE, ATTACH, DETACH, TRANSACTION, ANALYZE, SAVEPOINT
            #expect(!SQLGuard.allows(action, nil, nil), "\(action)")
        }
    }
}

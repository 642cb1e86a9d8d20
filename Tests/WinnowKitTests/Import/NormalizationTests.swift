import Foundation
import Testing
@testable import WinnowKit

@Suite struct NormalizationTests {
    @Test(arguments: [
        ("hello world", "hello world"),
        ("  hello \t  world  ", "hello world"),
        ("a\r\nb\rc\n", "a\nb\nc"),
        ("\n\n  first\n\n\nlast  \n\n", "first\n\n\nlast"),
        ("line one   \nline two\t\t", "line one\nline two"),
        ("a\n   indented", "a\n indented"),
        ("   \n \t \n", ""),
        ("cafe\u{301}", "caf\u{E9}"), // NFD → NFC
        ("tab\tinside", "tab inside"),
    ])
    func normalizes(input: String, expected: String) {
        #expect(Normalizer.normalizedString(input) == expected)
    }

    @Test func hashIgnoresWhitespaceAndLineEndingsButNotCase() {
        let a = ContentHash.of(.text("Hello   world\r\n"))
        let b = ContentHash.of(.text("  Hello world"))
        let c = ContentHash.of(.text("hello world"))
        #expect(a == b)
        #expect(a != c)
    }

    @Test func hashMatchesTheDocumentedDefinition() {
        // sha256(b"text\x1ehello world") and sha256(b"pair\x1ea b\x1fc"), computed with Python's hashlib.
        #expect(ContentHash.hex(ContentHash.of(.text(" hello  world "))) == "92bc627ad7dd96271a027c935286586c5032f19c3cdcf93fdfaf31a00f8a7ba6")
        #expect(ContentHash.hex(ContentHash.of(.pair("a  b", "c\n"))) == "bc5bd375cc874e40f9b8f436fb0be39e71933b9cb98d035372c1dced98cdc39c")
    }

    @Test func kindIsPartOfTheHash() {
        #expect(ContentHash.of(.text("x")) != ContentHash.of(.chat([ChatMessage(role: "user", content: "x")])))
        #expect(ContentHash.of(.pair("a", "b")) != ContentHash.of(.pair("b", "a")))
    }

    @Test func derivedUIDIsSixteenHexDigitsOfTheHash() {
        let hash = ContentHash.of(.text("hello world"))
        #expect(ContentHash.derivedUID(hash) == "92bc627ad7dd9627")
    }

    @Test func jsonQuoteEscapesControlCharacters() {
        #expect(JSONText.quote("a\"b\\c\nd\u{1}/") == "\"a\\\"b\\\\c\\nd\\u0001/\"")
    }
}

@Suite struct JSONQuoteTests {
    @Test(arguments: ["plain", "with \"quotes\" and \\ backslash", "tabs\tand\nlines\r", "\u{1}\u{1F}", "café ☕ 😀", "a\u{2028}b\u{2029}c", ""])
    func quotedTextParsesBackToItself(text: String) throws {
        let quoted = JSONText.quote(text)
        let parsed = try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: [.fragmentsAllowed]) as? String
        #expect(parsed == text)
        #expect(!quoted.contains("\n"))
    }
}

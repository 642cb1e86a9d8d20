import Foundation
import Testing
@testable import WinnowKit

/// Issue 18, item 5: rule keywords match as written, at word edges that suit them.
@Suite struct RulesTests {
    func matches(_ keyword: String, _ text: String) -> Bool {
        Keyword(keyword)!.matches(FoldedText(text))
    }

    /// The trial's keywords with punctuation: none of them matched before (the text was split
    /// into words at punctuation, so no word could equal them).
    @Test(arguments: [
        ("£1.50", "Call now, only £1.50 per msg!"),
        ("£1.50", "£1.50/week"),
        ("c++", "I write C++ for a living"),
        ("c++", "C++11 moved things"),
        ("c++", "learn c++."),
        ("t&c", "T&C apply"),
        ("t&c", "see t&c: www.example.com"),
        ("node.js", "a Node.js module"),
        ("node.js", "written in node.js."),
        ("meta-package", "This is a meta-package depending on"),
        ("meta-package", "(meta-package)"),
        ("interest rate", "the interest\n  rate rose"), // a run of white space stands for any
        ("ld_library_path", "set LD_LIBRARY_PATH first"),
        ("café", "un café noir"),
    ])
    func keywordsWithPunctuationMatchAsWritten(keyword: String, text: String) {
        #expect(matches(keyword, text), "\(keyword) in \(text)")
    }

    /// What must not match: inside a longer word, `_` joining words, a longer number.
    @Test(arguments: [
        ("library", "export LD_LIBRARY_PATH=/usr/lib"), // `_` is a word character
        ("library", "libraryless"),
        ("path", "LD_LIBRARY_PATH"),
        ("£1.50", "£1.500 deposit"),
        ("c++", "abc++"),
        ("t&c", "t&cs"),
        ("node.js", "node.jsx"),
        ("meta-package", "metapackage"),
        ("meta", "metadata"),
        ("interest rate", "interest rates rise"),
        ("free", "carefree"),
        ("free", "free_shipping"),
        ("cafe", "café"), // é is a letter: "cafe" is a prefix of a word
        ("win", "wins"),
    ])
    func noFalsePositives(keyword: String, text: String) {
        #expect(!matches(keyword, text), "\(keyword) in \(text)")
    }

    /// The index that finds all keywords in one pass agrees with matching each keyword alone,
    /// over every pair of the keywords and texts above (and some more).
    @Test func theKeywordIndexAgreesWithTheMatcher() {
        let keywords = [
            "£1.50", "c++", "t&c", "node.js", "meta-package", "interest rate", "ld_library_path", "café",
            "library", "path", "meta", "free", "cafe", "win", "!!!", "&", "1.50", "rate", "é", "a b c", "x",
        ]
        let texts = [
            "Call now, only £1.50 per msg!", "£1.50/week", "I write C++ for a living", "C++11 moved things",
            "learn c++.", "T&C apply", "see t&c: www.example.com", "a Node.js module", "This is a meta-package",
            "the interest\n  rate rose", "set LD_LIBRARY_PATH first", "un café noir", "libraryless", "£1.500 deposit",
            "abc++", "t&cs", "node.jsx", "metapackage", "metadata", "interest rates rise", "carefree",
            "free_shipping", "wins", "WIN!!!", "R&D", "", "   ", "a  b\tc", "x", "xx x", "été",
        ]
        var set = KeywordSet()
        for k in keywords { _ = set.add(Keyword(k)!) }
        for text in texts {
            let folded = FoldedText(text)
            let all = set.matches(folded)
            for (i, k) in keywords.enumerated() {
                #expect(all[i] == Keyword(k)!.matches(folded), "\(k) in \(text)")
            }
        }
    }

    @Test func caseIsIgnoredAsBefore() {
        #expect(matches("FREE", "free entry"))
        #expect(matches("free", "FREE ENTRY"))
        #expect(matches("Straße", "DIE STRAßE"))
        #expect(matches("ÉTÉ", "l'été dernier"))
    }

    @Test func punctuationOnlyKeywordsNeedNoEdges() {
        #expect(matches("!!!", "WIN!!!"))
        #expect(matches("&", "R&D"))
    }

    @Test func blankKeywordsAreRefusedWithTheirLine() {
        #expect(Keyword("") == nil)
        #expect(Keyword("  \t ") == nil)
        for keyword in ["''", "'   '"] {
            do {
                _ = try SceneRules.parse("topic:\n  money:\n    keywords: [cash, \(keyword)]\n", file: "r.yaml")
                Issue.record("expected \(keyword) to be refused")
            } catch {
                #expect("\(error)".hasPrefix("r.yaml:3: topic.money: the keyword"), "\(error)")
                #expect("\(error)".contains("can never match; remove it"), "\(error)")
            }
        }
        do {
            _ = try SceneRules.parse("topic:\n  money:\n    keywords:\n      - cash\n      -\n", file: "r.yaml")
            Issue.record("expected a blank entry to be refused")
        } catch {
            #expect("\(error)".hasPrefix("r.yaml:5: topic.money: an empty keyword (a blank list entry or ~) can never match"), "\(error)")
        }
        #expect(throws: WinnowError.self) { try SceneRules.parse("topic:\n  money: {keywords: [[a, b]]}\n", file: "r.yaml") }
        #expect(throws: WinnowError.self) { try SceneRules.parse("topic:\n  money: {regex: ['']}\n", file: "r.yaml") }
    }

    /// The tally counts samples per category and reports the keywords and regexes that never
    /// matched, even where an earlier category won every text they occur in.
    @Test func tallyCountsCategoriesAndFindsDeadRules() throws {
        let rules = try SceneRules.parse(
            """
            topic:
              money:
                keywords: [£1.50, cash]
              code:
                keywords: [c++, node.js, cash, library]
                regex: ['\\bgcc\\b']
            """, file: "r.yaml")
        var tally = SceneRules.Tally(rules)
        for text in ["Only £1.50!", "cash prize", "C++ and node.js", "set LD_LIBRARY_PATH"] {
            _ = tally.categories(for: text)
        }
        #expect(tally.hits.map { "\($0.category)=\($0.samples)" } == ["money=2", "code=1"])
        // `cash` under code matched a text (money won it), so it is alive; `library` never matched.
        #expect(tally.unmatched.map { "\($0.line):\($0.kind):\($0.pattern)" } == ["5:keyword:library", "6:regex:\\bgcc\\b"])
    }
}

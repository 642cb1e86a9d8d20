import Foundation
import Testing
@testable import WinnowKit

/// The reader against the hand-made fixture (Tests/Fixtures/wordnet, written by its
/// make-fixture.py; every expectation below was read off those files by hand).
@Suite struct WordNetFixtureTests {
    let wordNet: WordNet
    init() throws { wordNet = try WordNet(directory: fixtures + "/wordnet") }

    /// The fixture's offsets are what the data files hold: the synset lines start there.
    @Test func fixtureOffsetsPointAtTheirSynsets() throws {
        let path = fixtures + "/wordnet/data.noun"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let data = try MappedFile(path: path)
        #expect(Array(data.bytes) == Array(bytes))
        for (offset, words) in [(154, ["car", "auto", "automobile"]), (223, ["car", "railcar", "railway_car"]), (733, ["Lincoln", "Abraham_Lincoln", "President_Lincoln"])] {
            #expect(String(decoding: bytes[offset..<offset + 8], as: UTF8.self) == String(format: "%08d", offset))
            #expect(WordNet.synsetWords(in: data, at: offset) == words)
        }
        // w_cnt is hexadecimal: "0b" is eleven words.
        #expect(WordNet.synsetWords(in: data, at: 900).count == 11)
        // Not the start of a line, or a line that is another synset: nothing.
        #expect(WordNet.synsetWords(in: data, at: 155).isEmpty)
        #expect(WordNet.synsetWords(in: data, at: 10_000).isEmpty)
    }

    @Test func synonymsAreTheOtherLemmasOfEverySynsetInSenseOrder() {
        #expect(wordNet.synonyms(of: "car") == ["auto", "automobile", "railcar", "railway car"])
        #expect(wordNet.synonyms(of: "quickly") == ["speedily", "quick"])
        #expect(wordNet.synonyms(of: "start").count == 10)
        #expect(wordNet.synonyms(of: "start").contains("get-go"))
    }

    @Test func lookupIgnoresCaseAndAnswersInWordNetsCase() {
        #expect(wordNet.synonyms(of: "CAR") == wordNet.synonyms(of: "car"))
        #expect(wordNet.synonyms(of: "Lincoln") == ["Abraham Lincoln", "President Lincoln"])
        #expect(wordNet.synonyms(of: "abraham lincoln") == ["Lincoln", "President Lincoln"])
    }

    @Test func adjectiveMarkersAreRemovedAndTheWordItselfLeftOut() {
        // happy(a) alone gives nothing; glad(p) loses its marker.
        #expect(wordNet.synonyms(of: "happy") == ["well-chosen", "glad"])
        #expect(wordNet.synonyms(of: "large") == ["big"])
    }

    @Test func exceptionListsGiveBaseForms() {
        #expect(wordNet.synonyms(of: "mice") == ["computer mouse"])
        // axes → axe, axis (both in noun.exc); the base forms are left out of the answer.
        #expect(wordNet.synonyms(of: "axes") == ["ax", "axle"])
        #expect(wordNet.synonyms(of: "ran") == ["sprint", "operate", "function"])
        #expect(wordNet.synonyms(of: "went") == ["travel", "move"])
        // One word, two parts of speech, two exception lists: adj better → good, adv better → well.
        #expect(wordNet.synonyms(of: "better") == ["full", "easily"])
    }

    @Test func exceptionsReplaceTheRulesAndTheWordItselfStillCounts() {
        // "running" is a noun of its own and, by verb.exc, a form of run: both, nouns first.
        #expect(wordNet.synonyms(of: "running") == ["running play", "sprint", "operate", "function"])
    }

    @Test func rulesOfDetachment() {
        #expect(wordNet.synonyms(of: "cars") == ["auto", "automobile", "railcar", "railway car"]) // s → ""
        #expect(wordNet.synonyms(of: "glasses") == ["drinking glass"]) // ses → s
        #expect(wordNet.synonyms(of: "runs") == ["sprint", "operate", "function"]) // verb s → ""
        #expect(wordNet.synonyms(of: "larger") == ["big"]) // er → e
        #expect(wordNet.synonyms(of: "largest") == ["big"]) // est → e
        // A noun ending in "ss" is not detached: boss is not a plural of Bos.
        #expect(wordNet.synonyms(of: "boss") == ["foreman"])
        // Adverbs have no rules.
        #expect(wordNet.synonyms(of: "quicklys").isEmpty)
    }

    @Test func unknownAndEmptyWordsHaveNoSynonyms() {
        #expect(wordNet.synonyms(of: "zzyzx").isEmpty)
        #expect(wordNet.synonyms(of: "").isEmpty)
        #expect(wordNet.synonyms(of: "   ").isEmpty)
        // The license lines sort first and match nothing.
        #expect(wordNet.synonyms(of: "1").isEmpty)
        #expect(wordNet.synonyms(of: "ñandú").isEmpty)
    }

    /// An index whose offset does not lead to its synset gives no synonym from it (a wrong
    /// synonym is worse than none); the other synsets still count.
    @Test func anOffsetThatMissesItsSynsetIsSkipped() throws {
        let dir = TempDir()
        for name in WordNet.requiredFiles {
            try FileManager.default.copyItem(atPath: fixtures + "/wordnet/" + name, toPath: dir.path(name))
        }
        let index = try String(contentsOfFile: dir.path("index.noun"), encoding: .utf8)
        let broken = index.replacingOccurrences(of: "car n 2 2 @ ~ 2 0 00000154 00000223", with: "car n 2 2 @ ~ 2 0 00000155 00000223")
        #expect(broken != index)
        try broken.write(toFile: dir.path("index.noun"), atomically: true, encoding: .utf8)
        #expect(try WordNet(directory: dir.path).synonyms(of: "car") == ["railcar", "railway car"])
    }
}

@Suite struct WordNetErrorTests {
    @Test func aMissingFolderSaysHowToInstall() {
        let error = #expect(throws: WinnowError.self) { try WordNet(directory: "/nonexistent/wordnet") }
        let message = error?.description ?? ""
        #expect(message.hasPrefix("/nonexistent/wordnet: "))
        #expect(message.contains("apt-get install wordnet-base"))
    }

    @Test func aFileInsteadOfAFolder() {
        let error = #expect(throws: WinnowError.self) { try WordNet(directory: fixtures + "/wordnet/index.noun") }
        #expect(error?.description.contains("is a file, not a WordNet database folder") == true)
    }

    @Test func aMissingFileIsNamed() throws {
        let dir = TempDir()
        for name in WordNet.requiredFiles where name != "data.verb" {
            try FileManager.default.copyItem(atPath: fixtures + "/wordnet/" + name, toPath: dir.path(name))
        }
        let error = #expect(throws: WinnowError.self) { try WordNet(directory: dir.path) }
        let message = error?.description ?? ""
        #expect(message.hasPrefix(dir.path("data.verb") + ": missing"))
        #expect(message.contains("apt-get install wordnet-base"))
    }

    @Test func aFileThatIsNotAnIndex() throws {
        let dir = TempDir()
        for name in WordNet.requiredFiles {
            try FileManager.default.copyItem(atPath: fixtures + "/wordnet/" + name, toPath: dir.path(name))
        }
        try FileManager.default.removeItem(atPath: dir.path("index.adj"))
        dir.write("index.adj", "hello world\n")
        let error = #expect(throws: WinnowError.self) { try WordNet(directory: dir.path) }
        #expect(error?.description.hasPrefix(dir.path("index.adj") + ": is not a WordNet index file") == true)
    }

    /// A file that cannot be read as one (here a folder in its place; a file without read
    /// permission goes the same way, but the tests may run as root, who reads anything).
    @Test func anUnreadableFileIsNamed() throws {
        let dir = TempDir()
        for name in WordNet.requiredFiles where name != "noun.exc" {
            try FileManager.default.copyItem(atPath: fixtures + "/wordnet/" + name, toPath: dir.path(name))
        }
        try FileManager.default.createDirectory(atPath: dir.path("noun.exc"), withIntermediateDirectories: false)
        let error = #expect(throws: WinnowError.self) { try WordNet(directory: dir.path) }
        #expect(error?.description.hasPrefix(dir.path("noun.exc") + ": cannot be read (not a regular file)") == true)
        if getuid() != 0 {
            try FileManager.default.removeItem(atPath: dir.path("noun.exc"))
            try FileManager.default.copyItem(atPath: fixtures + "/wordnet/noun.exc", toPath: dir.path("noun.exc"))
            chmod(dir.path("noun.exc"), 0)
            let denied = #expect(throws: WinnowError.self) { try WordNet(directory: dir.path) }
            #expect(denied?.description.hasPrefix(dir.path("noun.exc") + ": cannot be read (Permission denied)") == true)
        }
    }

    @Test func answersAreTheSameFromTheCache() throws {
        let wordNet = try WordNet(directory: fixtures + "/wordnet")
        let first = wordNet.synonyms(of: "Cars")
        #expect(wordNet.synonyms(of: "cars") == first)
        #expect(wordNet.lookUp("cars") == first)
    }
}

/// The real WordNet 3.0 data of Debian's wordnet-base (scripts/setup installs it). Each list
/// was read by hand from index.* and the data.* lines at its offsets.
@Suite struct WordNet30Tests {
    let wordNet: WordNet
    init() throws { wordNet = try WordNet() }

    @Test func happy() {
        // index.adj: happy a 4 … 01148283 01048406 02565584 01000442; the first synset is happy alone.
        #expect(wordNet.synonyms(of: "happy") == ["felicitous", "glad", "well-chosen"])
    }

    @Test func carAndItsPlural() {
        // index.noun: car n 5 … 02958343 02959942 02960501 02960352 02934451.
        let car = ["auto", "automobile", "machine", "motorcar", "railcar", "railway car", "railroad car", "gondola", "elevator car", "cable car"]
        #expect(wordNet.synonyms(of: "car") == car)
        #expect(wordNet.synonyms(of: "cars") == car)
        #expect(wordNet.synonyms(of: "Car") == car)
    }

    @Test func quicklyAcrossItsThreeAdverbSenses() {
        #expect(wordNet.synonyms(of: "quickly") == ["rapidly", "speedily", "chop-chop", "apace", "promptly", "quick", "cursorily"])
    }

    @Test func runningReachesRun() {
        let running = wordNet.synonyms(of: "running")
        let run = wordNet.synonyms(of: "run")
        // verb.exc: running run — the verb senses of run are among running's synonyms.
        #expect(running.contains("operate"))
        #expect(run.contains("operate"))
        #expect(!running.contains("running") && !running.contains("run"))
        #expect(Set(running).count == running.count)
    }
}

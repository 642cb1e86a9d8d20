import Foundation

/// Reads the WordNet 3.0 database files (Debian's `wordnet-base`) directly: the synonyms of
/// a word, for EDA's synonym replacement and insertion. No Python, no library.
public final class WordNet: Sendable {
    /// Where Debian's `wordnet-base` puts the database.
    public static let defaultDirectory = "/usr/share/wordnet"

    /// The database folder this reader uses.
    public let directory: String

    /// Opens the database in `directory`; a missing or unreadable folder is an error that
    /// names the path and says how to install it.
    public init(directory: String = WordNet.defaultDirectory) throws {
        self.directory = directory
        // Skeleton: the check and the reader follow in the next commit.
        throw WinnowError.unreadableInput(path: directory, reason: "the WordNet reader is not implemented yet")
    }

    /// The other lemmas of every synset of `word`, in every part of speech, deduplicated, in a
    /// stable order; inflected words are looked up by their base form.
    public func synonyms(of word: String) -> [String] { [] }
}

import Foundation
import GRDB

/// What a user types into a search box, as an SQLite FTS5 MATCH expression: every word must
/// appear (in any order, any case, accents ignored), `"two words"` is a phrase, and a word
/// ending in `*` matches as a prefix. FTS5's own operators (AND, OR, NEAR, column filters,
/// parentheses) are not passed through: every word is quoted, so no input is a syntax error.
public enum FullTextQuery {
    /// The MATCH expression, or nil when the text has no word to search for.
    public static func match(_ text: String) -> String? {
        var terms: [String] = []
        var rest = Substring(text)
        while let start = rest.firstIndex(where: { !$0.isWhitespace }) {
            rest = rest[start...]
            if rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") {
                let phrase = rest[rest.index(after: rest.startIndex)..<close]
                if let term = quoted(phrase) { terms.append(term) }
                rest = rest[rest.index(after: close)...]
                continue
            }
            let end = rest.firstIndex(where: \.isWhitespace) ?? rest.endIndex
            var word = rest[..<end]
            rest = rest[end...]
            let prefix = word.hasSuffix("*")
            while word.hasSuffix("*") { word = word.dropLast() }
            if let term = quoted(word) { terms.append(prefix ? term + "*" : term) }
        }
        return terms.isEmpty ? nil : terms.joined(separator: " ")
    }

    /// `text` as one FTS5 string, or nil when it holds no letter or digit (FTS5 would find no
    /// token in it; a phrase of no token is an error).
    private static func quoted(_ text: Substring) -> String? {
        let cleaned = text.replacingOccurrences(of: "\"", with: " ")
        guard cleaned.unicodeScalars.contains(where: { CharacterSet.alphanumerics.contains($0) }) else { return nil }
        return "\"" + cleaned + "\""
    }
}

extension Store {
    /// How many contents `updateContentSearch` indexes per write transaction: a second or so of
    /// work, so reviewers and imports writing the same store wait at most that long.
    public static let contentSearchChunk = 20_000

    /// The SQL text of one content that the search index holds: every text column, and each
    /// message's `content` for a chat, one per line.
    static let contentSearchBody = """
        coalesce(c.text, '') || char(10) || coalesce(c.text_a, '') || char(10) || coalesce(c.text_b, '') || char(10)
            || coalesce(c.instruction, '') || char(10) || coalesce(c.input, '') || char(10) || coalesce(c.output, '') || char(10)
            || coalesce((SELECT group_concat(json_extract(m.value, '$.content'), char(10))
                         FROM json_each(CASE WHEN json_valid(c.messages) THEN c.messages END) m
                         WHERE json_type(m.value, '$.content') = 'text'), '')
        """

    /// How many contents the full-text index has yet to take in.
    public func contentSearchBacklog() throws -> Int {
        try read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM contents WHERE id > (SELECT indexed_through FROM content_search_state WHERE id = 1)"
            ) ?? 0
        }
    }

    /// Brings the full-text index up to date: indexes the contents added since it last ran, a
    /// chunk per transaction (a killed run keeps the chunks it finished). `progress` gets the
    /// number indexed so far and the number there were to index. Returns how many it indexed.
    @discardableResult
    public func updateContentSearch(chunk: Int = Store.contentSearchChunk, progress: (Int, Int) -> Void = { _, _ in }) throws -> Int {
        let backlog = try contentSearchBacklog()
        guard backlog > 0 else { return 0 }
        var done = 0
        while true {
            let indexed = try writeImmediate { db -> Int in
                let mark = try Int64.fetchOne(db, sql: "SELECT indexed_through FROM content_search_state WHERE id = 1") ?? 0
                guard
                    let end = try Int64.fetchOne(
                        db, sql: "SELECT max(id) FROM (SELECT id FROM contents WHERE id > ? ORDER BY id LIMIT ?)",
                        arguments: [mark, chunk])
                else { return 0 }
                try db.execute(
                    sql: """
                        INSERT INTO content_search (rowid, body)
                        SELECT c.id, \(Store.contentSearchBody) FROM contents c WHERE c.id > ? AND c.id <= ? ORDER BY c.id
                        """, arguments: [mark, end])
                let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM contents WHERE id > ? AND id <= ?", arguments: [mark, end]) ?? 0
                try db.execute(sql: "UPDATE content_search_state SET indexed_through = ? WHERE id = 1", arguments: [end])
                return count
            }
            if indexed == 0 { break }
            done += indexed
            progress(done, max(backlog, done))
        }
        return done
    }

    /// The SQL condition (over `samples s` joined to its current revision `r`) for samples whose
    /// current text matches `match` (a `FullTextQuery.match` expression), with its arguments. It
    /// goes from the index to the samples (a content belongs to one sample), then keeps those
    /// whose current revision is the matching content (not an edited-away one).
    static func searchCondition(_ match: String) -> (sql: String, arguments: StatementArguments) {
        (
            """
            s.id IN (SELECT cs.sample_id FROM contents cs WHERE cs.id IN (SELECT rowid FROM content_search WHERE content_search MATCH ?))
            AND r.content_id IN (SELECT rowid FROM content_search WHERE content_search MATCH ?)
            """, [match, match]
        )
    }
}

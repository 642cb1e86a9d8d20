-- 0009_content_search: full-text search over sample text (`samples --search`, the web review's
-- browse page). An FTS5 index of every content's text, without a copy of the text
-- (contentless: a match gives content ids). It is built on demand, not by triggers: indexing
-- costs about as much as importing the text, so an import does not pay it; the first search
-- indexes what is missing, a chunk per transaction, and later ones only the contents added
-- since (contents are append-only, so ids above the mark are the new ones). Also an index of
-- revisions by label: counting the samples of one label (the browse page, `samples --label`,
-- `queue create --label`) goes from a scan of every sample to a range of the index.

CREATE VIRTUAL TABLE content_search USING fts5(
    body,                                     -- the content's text: text, text_a, text_b, instruction, input, output, each message's content
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- How far content_search has indexed: every content with id <= indexed_through is in it.
CREATE TABLE content_search_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through INTEGER NOT NULL DEFAULT 0 -- the highest contents.id indexed
);
INSERT INTO content_search_state (id, indexed_through) VALUES (1, 0);

CREATE INDEX revisions_by_label ON revisions(label);

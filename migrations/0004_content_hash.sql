-- 0004_content_hash: content hashes escape U+001B, U+001F and U+001E inside each field (see
-- ContentHash), so two different contents can no longer share a hash. A content none of whose
-- fields holds one of those three characters keeps its hash; the others are re-hashed by the
-- data step below (SQLite has no SHA-256), which also re-fingerprints the snapshots holding
-- them — those that verified before the upgrade only. Both tables keep what was replaced.

-- Contents whose hash the upgrade changed, with the hash they had.
CREATE TABLE rehashed_contents (
    content_id INTEGER PRIMARY KEY REFERENCES contents(id),
    old_hash   BLOB NOT NULL
);

-- Snapshots whose fingerprint the upgrade recomputed, with the fingerprint they had.
CREATE TABLE refingerprinted_snapshots (
    snapshot_id     INTEGER PRIMARY KEY REFERENCES snapshots(id),
    old_fingerprint TEXT NOT NULL
);

-- Contents and snapshots are immutable; the data step alone may rewrite these two columns.
DROP TRIGGER contents_immutable_update;
DROP TRIGGER snapshots_immutable_update;

-- winnow: data step 0004_content_hash

CREATE TRIGGER contents_immutable_update BEFORE UPDATE ON contents
BEGIN SELECT RAISE(ABORT, 'contents are append-only: an edit appends a new revision'); END;
CREATE TRIGGER snapshots_immutable_update BEFORE UPDATE ON snapshots
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;

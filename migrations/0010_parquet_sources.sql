-- 0010_parquet_sources: Parquet files can be imported (`winnow import data.parquet`), so
-- 'parquet' joins the formats a source may have. SQLite cannot change a CHECK constraint, so
-- `sources` is rebuilt with the same columns and rows (its ids kept, so every table that refers
-- to a source still does; the migrator checks the foreign keys before it commits).

CREATE TABLE sources_0010 (
    id              INTEGER PRIMARY KEY,
    path            TEXT NOT NULL,            -- the path as given to `winnow import`
    name            TEXT NOT NULL,            -- the file name alone
    format          TEXT NOT NULL CHECK (format IN ('jsonl', 'json', 'csv', 'tsv', 'parquet')),
    compressed      INTEGER NOT NULL DEFAULT 0 CHECK (compressed IN (0, 1)), -- read through gzip
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'pair', 'instruction', 'chat')),
    sha256          TEXT NOT NULL UNIQUE,     -- hex SHA-256 of the file's bytes: re-importing it is a no-op
    bytes           INTEGER NOT NULL,
    options         TEXT NOT NULL DEFAULT '{}', -- JSON: field mapping and error policy used
    imported_at     TEXT NOT NULL,
    read            INTEGER NOT NULL DEFAULT 0, -- records read (valid or not)
    imported        INTEGER NOT NULL DEFAULT 0, -- new samples
    duplicates      INTEGER NOT NULL DEFAULT 0, -- records whose content hash was already stored
    label_conflicts INTEGER NOT NULL DEFAULT 0, -- duplicates whose label differs from the stored one
    rejected        INTEGER NOT NULL DEFAULT 0, -- malformed records skipped (--on-error skip)
    seconds         REAL NOT NULL DEFAULT 0
);
INSERT INTO sources_0010 (id, path, name, format, compressed, kind, sha256, bytes, options, imported_at, read, imported, duplicates,
    label_conflicts, rejected, seconds)
SELECT id, path, name, format, compressed, kind, sha256, bytes, options, imported_at, read, imported, duplicates,
    label_conflicts, rejected, seconds FROM sources;
DROP TABLE sources;
ALTER TABLE sources_0010 RENAME TO sources;

-- 0007_augmentation: samples made by `winnow augment` from a parent sample.
-- An augmented sample is a sample like any other (samples, revisions, contents; its first
-- revision has origin 'import', the moment it entered the store, and its source is its
-- parent's), plus a row in augmented_samples naming its parent, the run that made it and the
-- operations applied. A sample without such a row has origin 'import'. Splits keep an
-- augmented sample in its parent's split; `snapshot create --exclude-augmented` leaves them out.

-- One `winnow augment` run: what it was asked for and what it made.
CREATE TABLE augment_runs (
    id          INTEGER PRIMARY KEY,
    target      TEXT NOT NULL,                -- 'scene.DIM=CAT' or 'label=L'
    operations  TEXT NOT NULL,                -- the operations asked for, comma-separated ('' with a command)
    rate        REAL,                         -- the share of words an operation touches
    seed        INTEGER NOT NULL,
    command     TEXT,                         -- the external generator, when one made the candidates
    requested   INTEGER NOT NULL CHECK (requested >= 0),
    made        INTEGER NOT NULL DEFAULT 0,   -- augmented samples stored
    skipped     INTEGER NOT NULL DEFAULT 0,   -- candidates left out (content already stored, unchanged text)
    started_at  TEXT NOT NULL,
    finished_at TEXT
);

-- An augmented sample, its parent and how it was made.
CREATE TABLE augmented_samples (
    sample_id  INTEGER PRIMARY KEY REFERENCES samples(id),
    parent_id  INTEGER NOT NULL REFERENCES samples(id),
    run_id     INTEGER NOT NULL REFERENCES augment_runs(id),
    operations TEXT NOT NULL                  -- JSON array of the operations applied, e.g. ["synonym","swap"]; ["command"] for a generator
);
CREATE INDEX augmented_samples_by_parent ON augmented_samples(parent_id);

-- 0001_initial: the whole Winnow store as of the first release.
-- Every concept of SPEC section 1 has its table here, so later migrations add to it
-- rather than reshape it. Times are UTC ISO-8601 text with milliseconds
-- ('2026-11-21T17:16:42.123Z'). Content is stored once, in `contents`; revisions,
-- snapshots and flags point at it.

PRAGMA application_id = 1464421966; -- 'WINN': marks the file as a Winnow store

-- One import of one file.
CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    path            TEXT NOT NULL,            -- the path as given to `winnow import`
    name            TEXT NOT NULL,            -- the file name alone
    format          TEXT NOT NULL CHECK (format IN ('jsonl', 'json', 'csv', 'tsv')),
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

-- A training record: its identity and state. Its content and label live in revisions.
CREATE TABLE samples (
    id          INTEGER PRIMARY KEY,
    uid         TEXT NOT NULL UNIQUE,         -- stable public id: the input's id, else 'h' + 16 hex of the content hash
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'pair', 'instruction', 'chat')),
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'dropped')),
    revision_id INTEGER NOT NULL REFERENCES revisions(id) DEFERRABLE INITIALLY DEFERRED, -- the current revision
    source_id   INTEGER NOT NULL REFERENCES sources(id), -- the import that first brought it
    meta        TEXT,                         -- JSON object of meta.KEY fields, from the first occurrence
    created_at  TEXT NOT NULL
);
CREATE INDEX samples_by_status ON samples(status) WHERE status <> 'active';
-- Lets SQLite settle the deferred revision_id reference with a lookup rather than a scan.
CREATE INDEX samples_by_revision ON samples(revision_id);

-- Content, stored once per distinct content hash. Only the columns of the sample's kind
-- are set: text; text_a + text_b (pair); instruction + input + output; messages (chat,
-- a JSON array of {"role", "content"}). Text is kept as it came in; the hash is taken
-- over the normalised form.
CREATE TABLE contents (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    hash        BLOB NOT NULL UNIQUE CHECK (length(hash) = 32), -- content hash (SHA-256), see README
    text        TEXT,
    text_a      TEXT,
    text_b      TEXT,
    instruction TEXT,
    input       TEXT,
    output      TEXT,
    messages    TEXT
);

-- Content and label of a sample at one moment. Append-only.
CREATE TABLE revisions (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    content_id  INTEGER NOT NULL REFERENCES contents(id),
    label       TEXT,
    score       REAL,                          -- pair kind: a similarity score, when given
    origin      TEXT NOT NULL CHECK (origin IN ('import', 'relabel', 'edit', 'undo')),
    decision_id INTEGER REFERENCES decisions(id), -- the review decision that made it
    created_at  TEXT NOT NULL
);
CREATE INDEX revisions_by_sample ON revisions(sample_id);

-- Every place a sample was read from, duplicates included: provenance.
CREATE TABLE occurrences (
    source_id INTEGER NOT NULL REFERENCES sources(id),
    line      INTEGER NOT NULL,               -- 1-based line where the record starts
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    record_id TEXT,                           -- the record's own id field, if it had one
    label     TEXT,                           -- the label this record carried
    PRIMARY KEY (source_id, line)
) WITHOUT ROWID;
CREATE INDEX occurrences_by_sample ON occurrences(sample_id);

-- Label order, when a taxonomy fixes it (else labels sort by name).
CREATE TABLE labels (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID;

-- Taxonomy: dimensions and their categories with target counts and weights.
CREATE TABLE dimensions (
    name        TEXT PRIMARY KEY,
    description TEXT
) WITHOUT ROWID;

CREATE TABLE categories (
    dimension TEXT NOT NULL REFERENCES dimensions(name) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    target    INTEGER CHECK (target IS NULL OR target >= 0), -- n_c*
    weight    REAL NOT NULL DEFAULT 1 CHECK (weight >= 0),   -- w_c before normalisation
    position  INTEGER NOT NULL,
    PRIMARY KEY (dimension, name)
) WITHOUT ROWID;

-- Scene annotations, append-only: a new annotation of the same sample and dimension
-- sets replaced_by on the old one. The current one has replaced_by NULL. Categories
-- unknown to the taxonomy are kept.
CREATE TABLE scene_annotations (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    dimension   TEXT NOT NULL,
    category    TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('import', 'file', 'rules', 'review')),
    source_id   INTEGER REFERENCES sources(id),
    replaced_by INTEGER,                      -- id of the annotation that replaced it
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX scene_annotations_current ON scene_annotations(sample_id, dimension) WHERE replaced_by IS NULL;
CREATE INDEX scene_annotations_by_category ON scene_annotations(dimension, category) WHERE replaced_by IS NULL;

-- One run of one noise detector.
CREATE TABLE detector_runs (
    id          INTEGER PRIMARY KEY,
    detector    TEXT NOT NULL,
    parameters  TEXT NOT NULL DEFAULT '{}',   -- JSON
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    scanned     INTEGER NOT NULL DEFAULT 0,
    flagged     INTEGER NOT NULL DEFAULT 0
);

-- A suspicion that a sample is noise.
CREATE TABLE flags (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    content_id  INTEGER NOT NULL REFERENCES contents(id), -- the content it was raised on
    detector    TEXT NOT NULL,
    run_id      INTEGER REFERENCES detector_runs(id),     -- NULL when raised by an import
    source_id   INTEGER REFERENCES sources(id),           -- the import that raised it
    score       REAL NOT NULL,                            -- higher = more suspicious
    reason      TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}',               -- JSON
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'dismissed')),
    created_at  TEXT NOT NULL,
    reviewed_at TEXT,
    decision_id INTEGER REFERENCES decisions(id)
);
CREATE INDEX flags_by_sample ON flags(sample_id);
CREATE INDEX flags_by_detector ON flags(detector, status);

-- Review queues and their items.
CREATE TABLE queues (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    selection  TEXT NOT NULL DEFAULT '{}',    -- JSON: how items were chosen
    priority   TEXT NOT NULL DEFAULT 'score' CHECK (priority IN ('score', 'random', 'oldest')),
    overlap    INTEGER NOT NULL DEFAULT 1 CHECK (overlap >= 1),
    created_at TEXT NOT NULL
);

CREATE TABLE queue_items (
    id        INTEGER PRIMARY KEY,
    queue_id  INTEGER NOT NULL REFERENCES queues(id),
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    position  REAL NOT NULL,                  -- lower is reviewed first
    added_at  TEXT NOT NULL,
    UNIQUE (queue_id, sample_id)
);
CREATE INDEX queue_items_by_position ON queue_items(queue_id, position);

-- A reviewer's claim on an item, until expires_at.
CREATE TABLE leases (
    item_id    INTEGER NOT NULL REFERENCES queue_items(id),
    reviewer   TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (item_id, reviewer)
) WITHOUT ROWID;

-- One reviewer's verdict on one item. Append-only; undo sets undone_at.
CREATE TABLE decisions (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER REFERENCES queue_items(id),
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    reviewer    TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('keep', 'drop', 'relabel', 'edit', 'skip')),
    label       TEXT,                         -- relabel: the new label
    revision_id INTEGER REFERENCES revisions(id), -- the revision a relabel or edit appended
    note        TEXT,
    created_at  TEXT NOT NULL,
    undone_at   TEXT
);
CREATE INDEX decisions_by_item ON decisions(item_id);
CREATE INDEX decisions_by_sample ON decisions(sample_id);

-- Snapshots: immutable named versions. Members point at revisions; no content is copied.
CREATE TABLE snapshots (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    message         TEXT,
    created_at      TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,            -- hex SHA-256, see README
    members         INTEGER NOT NULL,
    selection       TEXT NOT NULL DEFAULT '{}', -- JSON: the selection it was made with
    scene_watermark INTEGER NOT NULL DEFAULT 0, -- scene annotations with id <= this were in force
    metrics         TEXT NOT NULL DEFAULT '{}'  -- JSON: figures as of creation
);

CREATE TABLE snapshot_members (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    revision_id INTEGER NOT NULL REFERENCES revisions(id),
    PRIMARY KEY (snapshot_id, sample_id)
) WITHOUT ROWID;

-- Split schemes: persisted assignment of samples to splits, reused by later exports.
CREATE TABLE split_schemes (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    ratios     TEXT NOT NULL,                 -- JSON {"train": 0.8, ...}
    stratify   TEXT,                          -- 'label' or 'scene.DIM'
    grouping   TEXT,                          -- 'near-duplicate' or NULL
    seed       INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE split_assignments (
    scheme_id INTEGER NOT NULL REFERENCES split_schemes(id),
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    split     TEXT NOT NULL,
    PRIMARY KEY (scheme_id, sample_id)
) WITHOUT ROWID;

-- What must never change, the store refuses itself.
CREATE TRIGGER contents_immutable_update BEFORE UPDATE ON contents
BEGIN SELECT RAISE(ABORT, 'contents are append-only: an edit appends a new revision'); END;
CREATE TRIGGER contents_immutable_delete BEFORE DELETE ON contents
BEGIN SELECT RAISE(ABORT, 'contents are append-only: an edit appends a new revision'); END;
CREATE TRIGGER revisions_immutable_update BEFORE UPDATE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;
CREATE TRIGGER revisions_immutable_delete BEFORE DELETE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;
CREATE TRIGGER scene_annotations_append_only BEFORE UPDATE ON scene_annotations
WHEN NOT (OLD.replaced_by IS NULL AND NEW.replaced_by IS NOT NULL
          AND NEW.sample_id = OLD.sample_id AND NEW.dimension = OLD.dimension
          AND NEW.category = OLD.category AND NEW.origin = OLD.origin
          AND NEW.created_at = OLD.created_at)
BEGIN SELECT RAISE(ABORT, 'scene annotations are append-only: annotate again to replace one'); END;
CREATE TRIGGER scene_annotations_no_delete BEFORE DELETE ON scene_annotations
BEGIN SELECT RAISE(ABORT, 'scene annotations are append-only'); END;
CREATE TRIGGER snapshots_immutable_update BEFORE UPDATE ON snapshots
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshots_immutable_delete BEFORE DELETE ON snapshots
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshot_members_immutable_update BEFORE UPDATE ON snapshot_members
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshot_members_immutable_delete BEFORE DELETE ON snapshot_members
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;

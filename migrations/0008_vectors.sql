-- 0008_vectors: feature vectors (sentence embeddings) and the topics discovered from them.
-- A vector is stored once per content and model: samples sharing a content share its vector,
-- and re-running `winnow embed` embeds only content without one. `winnow cluster` writes its
-- topics as scene annotations of origin 'cluster', so scene_annotations is rebuilt here to
-- admit that origin (SQLite cannot alter a CHECK); its rows, ids, indexes and triggers stay.

-- A model whose vectors the store holds: one `winnow embed` encoder or one `vectors import`.
CREATE TABLE embedding_models (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,         -- 'all-MiniLM-L6-v2', or the name given to `vectors import --model`
    dimension   INTEGER NOT NULL CHECK (dimension > 0),
    dtype       TEXT NOT NULL CHECK (dtype IN ('float32', 'float16')), -- how vectors.vector is encoded (little-endian)
    origin      TEXT NOT NULL CHECK (origin IN ('embed', 'import')),
    fingerprint TEXT,                         -- embed: SHA-256 (hex) of the model's weights file
    max_tokens  INTEGER,                      -- embed: the truncation the vectors were made with
    created_at  TEXT NOT NULL
);

-- One vector per (model, content): `dimension` values, L2-normalised by embed.
CREATE TABLE vectors (
    model_id   INTEGER NOT NULL REFERENCES embedding_models(id),
    content_id INTEGER NOT NULL REFERENCES contents(id),
    vector     BLOB NOT NULL,
    PRIMARY KEY (model_id, content_id)
) WITHOUT ROWID;

-- One `winnow cluster` run: spherical k-means over one model's vectors of the active samples.
CREATE TABLE cluster_runs (
    id          INTEGER PRIMARY KEY,
    dimension   TEXT NOT NULL,                -- the scene dimension its topics were written to
    model_id    INTEGER NOT NULL REFERENCES embedding_models(id),
    k           INTEGER NOT NULL CHECK (k > 0),
    seed        INTEGER NOT NULL,
    samples     INTEGER NOT NULL CHECK (samples >= 0), -- samples clustered
    iterations  INTEGER NOT NULL DEFAULT 0,
    objective   REAL,                         -- mean cosine of each sample to its centroid
    created_at  TEXT NOT NULL
);

-- A discovered topic: its centroid (unit length, the model's dtype) and its name.
CREATE TABLE cluster_centroids (
    run_id    INTEGER NOT NULL REFERENCES cluster_runs(id),
    position  INTEGER NOT NULL CHECK (position >= 0),
    category  TEXT NOT NULL,                  -- the category written for its samples
    terms     TEXT NOT NULL,                  -- JSON array of its top TF-IDF terms
    size      INTEGER NOT NULL CHECK (size >= 0),
    centroid  BLOB NOT NULL,
    PRIMARY KEY (run_id, position)
) WITHOUT ROWID;

-- scene_annotations, rebuilt with 'cluster' among the origins. The triggers that name it are
-- dropped first and made again after, as they were.
DROP TRIGGER scene_annotations_append_only;
DROP TRIGGER scene_annotations_no_delete;
DROP TRIGGER scene_counts_on_insert;
DROP TRIGGER scene_counts_on_replace;
DROP TRIGGER scene_counts_on_status;
DROP INDEX scene_annotations_current;
DROP INDEX scene_annotations_by_category;

CREATE TABLE scene_annotations_0008 (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    dimension   TEXT NOT NULL,
    category    TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('import', 'file', 'rules', 'review', 'cluster')),
    source_id   INTEGER REFERENCES sources(id),
    replaced_by INTEGER,                      -- id of the annotation that replaced it
    created_at  TEXT NOT NULL
);
INSERT INTO scene_annotations_0008 (id, sample_id, dimension, category, origin, source_id, replaced_by, created_at)
SELECT id, sample_id, dimension, category, origin, source_id, replaced_by, created_at FROM scene_annotations;
DROP TABLE scene_annotations;
ALTER TABLE scene_annotations_0008 RENAME TO scene_annotations;

CREATE UNIQUE INDEX scene_annotations_current ON scene_annotations(sample_id, dimension) WHERE replaced_by IS NULL;
CREATE INDEX scene_annotations_by_category ON scene_annotations(dimension, category) WHERE replaced_by IS NULL;

CREATE TRIGGER scene_annotations_append_only BEFORE UPDATE ON scene_annotations
WHEN NOT (OLD.replaced_by IS NULL AND NEW.replaced_by IS NOT NULL
          AND NEW.sample_id = OLD.sample_id AND NEW.dimension = OLD.dimension
          AND NEW.category = OLD.category AND NEW.origin = OLD.origin
          AND NEW.created_at = OLD.created_at)
BEGIN SELECT RAISE(ABORT, 'scene annotations are append-only: annotate again to replace one'); END;
CREATE TRIGGER scene_annotations_no_delete BEFORE DELETE ON scene_annotations
BEGIN SELECT RAISE(ABORT, 'scene annotations are append-only'); END;

CREATE TRIGGER scene_counts_on_insert AFTER INSERT ON scene_annotations
WHEN NEW.replaced_by IS NULL AND NEW.origin <> 'import'
     AND (SELECT status FROM samples WHERE id = NEW.sample_id) = 'active'
BEGIN
    INSERT OR IGNORE INTO scene_counts (dimension, category, count) VALUES (NEW.dimension, NEW.category, 0);
    UPDATE scene_counts SET count = count + 1 WHERE dimension = NEW.dimension AND category = NEW.category;
END;

CREATE TRIGGER scene_counts_on_replace AFTER UPDATE OF replaced_by ON scene_annotations
WHEN OLD.replaced_by IS NULL AND NEW.replaced_by IS NOT NULL
     AND (SELECT status FROM samples WHERE id = NEW.sample_id) = 'active'
BEGIN
    UPDATE scene_counts SET count = count - 1 WHERE dimension = OLD.dimension AND category = OLD.category;
END;

CREATE TRIGGER scene_counts_on_status AFTER UPDATE OF status ON samples
WHEN OLD.status <> NEW.status AND (OLD.status = 'active' OR NEW.status = 'active')
BEGIN
    UPDATE scene_counts SET count = count + (CASE WHEN NEW.status = 'active' THEN 1 ELSE -1 END)
    WHERE (dimension, category) IN (SELECT dimension, category FROM scene_annotations
                                    WHERE sample_id = NEW.id AND replaced_by IS NULL);
END;

-- Frozen clusters per detector: `export --group semantic-duplicate` keeps each
-- semantic-duplicate cluster in one split as `--group near-duplicate` does near-duplicate's, so
-- a snapshot freezes both detectors' clusters when it is made. The two tables of 0006 are
-- rebuilt with a `detector` column; their rows are near-duplicate's. (Renaming the new sets table
-- renames the clusters table's reference to it too.)
DROP TRIGGER snapshot_cluster_sets_immutable_update;
DROP TRIGGER snapshot_cluster_sets_immutable_delete;
DROP TRIGGER snapshot_clusters_immutable_update;
DROP TRIGGER snapshot_clusters_immutable_delete;

-- A snapshot whose clusters of one detector were frozen when it was made (also when it has none).
CREATE TABLE snapshot_cluster_sets_0008 (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
    detector    TEXT NOT NULL CHECK (detector IN ('near-duplicate', 'semantic-duplicate')),
    flags       INTEGER NOT NULL,             -- that detector's flags in the store they were read from
    PRIMARY KEY (snapshot_id, detector)
) WITHOUT ROWID;
INSERT INTO snapshot_cluster_sets_0008 (snapshot_id, detector, flags)
SELECT snapshot_id, 'near-duplicate', flags FROM snapshot_cluster_sets;

-- A member of a frozen snapshot that was in a cluster of that detector, and that cluster.
CREATE TABLE snapshot_clusters_0008 (
    snapshot_id INTEGER NOT NULL,
    detector    TEXT NOT NULL,
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    cluster     INTEGER NOT NULL,             -- the sample id of the cluster's representative (its earliest member)
    PRIMARY KEY (snapshot_id, detector, sample_id),
    FOREIGN KEY (snapshot_id, detector) REFERENCES snapshot_cluster_sets_0008(snapshot_id, detector)
) WITHOUT ROWID;
INSERT INTO snapshot_clusters_0008 (snapshot_id, detector, sample_id, cluster)
SELECT snapshot_id, 'near-duplicate', sample_id, cluster FROM snapshot_clusters;

DROP TABLE snapshot_clusters;
DROP TABLE snapshot_cluster_sets;
ALTER TABLE snapshot_cluster_sets_0008 RENAME TO snapshot_cluster_sets;
ALTER TABLE snapshot_clusters_0008 RENAME TO snapshot_clusters;

CREATE TRIGGER snapshot_cluster_sets_immutable_update BEFORE UPDATE ON snapshot_cluster_sets
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshot_cluster_sets_immutable_delete BEFORE DELETE ON snapshot_cluster_sets
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshot_clusters_immutable_update BEFORE UPDATE ON snapshot_clusters
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshot_clusters_immutable_delete BEFORE DELETE ON snapshot_clusters
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;

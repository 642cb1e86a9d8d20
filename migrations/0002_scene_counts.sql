-- 0002_scene_counts: per-category counts of active samples' current scene annotations,
-- kept up to date by triggers, so coverage reads a handful of rows instead of counting
-- millions of index entries.

CREATE TABLE scene_counts (
    dimension TEXT NOT NULL,
    category  TEXT NOT NULL,
    count     INTEGER NOT NULL DEFAULT 0, -- active samples whose current category in `dimension` is `category`
    PRIMARY KEY (dimension, category)
) WITHOUT ROWID;

INSERT INTO scene_counts (dimension, category, count)
SELECT a.dimension, a.category, count(*) FROM scene_annotations a JOIN samples s ON s.id = a.sample_id
WHERE a.replaced_by IS NULL AND s.status = 'active'
GROUP BY a.dimension, a.category;

-- A new current annotation of an active sample. Annotations made by `winnow import` (origin
-- 'import', always on a new, active sample) are counted by the importer in one statement per
-- file instead: a trigger per row cost about 20 % of a million-sample import.
CREATE TRIGGER scene_counts_on_insert AFTER INSERT ON scene_annotations
WHEN NEW.replaced_by IS NULL AND NEW.origin <> 'import'
     AND (SELECT status FROM samples WHERE id = NEW.sample_id) = 'active'
BEGIN
    INSERT OR IGNORE INTO scene_counts (dimension, category, count) VALUES (NEW.dimension, NEW.category, 0);
    UPDATE scene_counts SET count = count + 1 WHERE dimension = NEW.dimension AND category = NEW.category;
END;

-- An annotation replaced by a newer one (which the insert trigger counts).
CREATE TRIGGER scene_counts_on_replace AFTER UPDATE OF replaced_by ON scene_annotations
WHEN OLD.replaced_by IS NULL AND NEW.replaced_by IS NOT NULL
     AND (SELECT status FROM samples WHERE id = NEW.sample_id) = 'active'
BEGIN
    UPDATE scene_counts SET count = count - 1 WHERE dimension = OLD.dimension AND category = OLD.category;
END;

-- A sample dropped or made active again.
CREATE TRIGGER scene_counts_on_status AFTER UPDATE OF status ON samples
WHEN OLD.status <> NEW.status AND (OLD.status = 'active' OR NEW.status = 'active')
BEGIN
    UPDATE scene_counts SET count = count + (CASE WHEN NEW.status = 'active' THEN 1 ELSE -1 END)
    WHERE (dimension, category) IN (SELECT dimension, category FROM scene_annotations
                                    WHERE sample_id = NEW.id AND replaced_by IS NULL);
END;

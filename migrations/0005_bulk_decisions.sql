-- 0005_bulk_decisions: decisions that act on the flags under review, and bulk decisions.
-- A decision confirms or dismisses the open flags of the detectors its queue was made from
-- (all of the sample's open flags when the queue is not detector-based, or when the decision
-- asks for all of them: `all_flags`). A bulk decision (`review bulk`) is one row here and one
-- decision per sample, each pointing at it, so it is listed and undone as one.

CREATE TABLE bulk_decisions (
    id         INTEGER PRIMARY KEY,
    queue_id   INTEGER NOT NULL REFERENCES queues(id), -- the queue its items are in
    reviewer   TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('keep', 'drop', 'relabel')),
    target     TEXT,                          -- relabel: the label given, or 'predicted' (label-noise's predicted label)
    selection  TEXT NOT NULL DEFAULT '{}',    -- JSON: the selection it acted on (queue, detectors, min_score, …)
    note       TEXT,
    decisions  INTEGER NOT NULL DEFAULT 0,    -- decisions it recorded
    created_at TEXT NOT NULL,
    undone_at  TEXT                           -- when `review undo --bulk` reverted it
);

ALTER TABLE decisions ADD COLUMN bulk_id INTEGER REFERENCES bulk_decisions(id); -- the bulk decision it is part of
ALTER TABLE decisions ADD COLUMN all_flags INTEGER NOT NULL DEFAULT 0 CHECK (all_flags IN (0, 1)); -- acts on every open flag of the sample

CREATE INDEX decisions_by_bulk ON decisions(bulk_id) WHERE bulk_id IS NOT NULL;

-- 0003_review: what review decisions need beyond 0001's tables: the state of each queue
-- item, what a decision changed (so undo can restore it), adjudication, and a guard that a
-- reviewer decides an item once.

ALTER TABLE queue_items ADD COLUMN resolved_at TEXT;            -- when its decisions' effect was applied
ALTER TABLE queue_items ADD COLUMN resolution_id INTEGER REFERENCES decisions(id); -- the decision applied

ALTER TABLE decisions ADD COLUMN text TEXT;                     -- edit: the new text (JSON object for other kinds)
ALTER TABLE decisions ADD COLUMN adjudication INTEGER NOT NULL DEFAULT 0 CHECK (adjudication IN (0, 1));
ALTER TABLE decisions ADD COLUMN applied INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1)); -- its effect is in the store
ALTER TABLE decisions ADD COLUMN previous_revision_id INTEGER REFERENCES revisions(id); -- before a relabel or edit
ALTER TABLE decisions ADD COLUMN previous_status TEXT;          -- before a drop

-- One live decision per reviewer and item (an undone one does not count).
CREATE UNIQUE INDEX decisions_once ON decisions(item_id, reviewer) WHERE undone_at IS NULL AND item_id IS NOT NULL;
CREATE INDEX decisions_by_reviewer ON decisions(reviewer, id);
CREATE INDEX queue_items_open ON queue_items(queue_id, position) WHERE resolved_at IS NULL;
CREATE INDEX leases_by_item ON leases(item_id, expires_at);
CREATE INDEX flags_by_decision ON flags(decision_id) WHERE decision_id IS NOT NULL;

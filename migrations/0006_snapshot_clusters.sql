-- 0006_snapshot_clusters: the near-duplicate clusters frozen with each snapshot.
-- `export --group near-duplicate` keeps each near-duplicate cluster in one split. The clusters
-- are read from the near-duplicate flags when the snapshot is made and kept here, so detector
-- runs and review decisions after `snapshot create` never change how the snapshot is split.
-- A snapshot made before this migration has no row in snapshot_cluster_sets: its exports read
-- the near-duplicate flags as they are then (and say so).

-- A snapshot whose clusters were frozen when it was made (also when it has none).
CREATE TABLE snapshot_cluster_sets (
    snapshot_id INTEGER PRIMARY KEY REFERENCES snapshots(id),
    flags       INTEGER NOT NULL              -- near-duplicate flags in the store they were read from
);

-- A member of a frozen snapshot that was in a near-duplicate cluster, and that cluster.
CREATE TABLE snapshot_clusters (
    snapshot_id INTEGER NOT NULL REFERENCES snapshot_cluster_sets(snapshot_id),
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    cluster     INTEGER NOT NULL,             -- the sample id of the cluster's representative (its earliest member)
    PRIMARY KEY (snapshot_id, sample_id)
) WITHOUT ROWID;

CREATE TRIGGER snapshot_cluster_sets_immutable_update BEFORE UPDATE ON snapshot_cluster_sets
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshot_cluster_sets_immutable_delete BEFORE DELETE ON snapshot_cluster_sets
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshot_clusters_immutable_update BEFORE UPDATE ON snapshot_clusters
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshot_clusters_immutable_delete BEFORE DELETE ON snapshot_clusters
BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;

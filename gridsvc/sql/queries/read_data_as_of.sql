-- The time the data of a read stands at (gridsvc.db.replica.data_as_of). On a replica: the
-- commit time of the last transaction it replayed (every write of the primary up to then is
-- there). On the primary, or on a replica that has replayed nothing since it started: the
-- newest stored event or workflow action (NULL before any). Both tables are append-ordered
-- by identity, so the newest row is read from the primary key, not a scan of ten million
-- events. Stable while the data does not change, so a map's ETag is too.
SELECT coalesce(
    CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() END,
    greatest(
        (SELECT received_at FROM event ORDER BY id DESC LIMIT 1),
        (SELECT at FROM event_action ORDER BY id DESC LIMIT 1)
    )
)

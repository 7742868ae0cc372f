-- The time the data of a read stands at (gridsvc.db.replica.data_as_of). On a replica: the
-- commit time of the last transaction it replayed (every write of the primary up to then is
-- there). On the primary, or on a replica that has replayed nothing since it started: the
-- newest stored event or workflow action (maps_data_timestamp.sql; NULL before any).
SELECT coalesce(
    CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() END,
    greatest(
        (SELECT received_at FROM event ORDER BY id DESC LIMIT 1),
        (SELECT at FROM event_action ORDER BY id DESC LIMIT 1)
    )
)

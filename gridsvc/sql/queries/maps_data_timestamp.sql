-- The time of the latest write a map can show: the newest stored event or workflow action
-- (NULL before any). Both tables are append-ordered by identity, so the newest row is read
-- from the primary key (not a scan of ten million events). Stable while the data does not
-- change, so a map's ETag is too.
SELECT greatest(
    (SELECT received_at FROM event ORDER BY id DESC LIMIT 1),
    (SELECT at FROM event_action ORDER BY id DESC LIMIT 1)
)

-- Row 1f: what the import stored (events, keys, rollup rows and total), read in the same
-- snapshot as the dump of its rows; floor_check.sql reads the same of the floor's tables.
SELECT (SELECT count(*) FROM event),
       (SELECT count(*) FROM event_key),
       (SELECT count(*) FROM event_daily),
       (SELECT sum(n) FROM event_daily),
       (SELECT count(*) FROM event_status_count),
       (SELECT count(*) FROM event_tile_bin)

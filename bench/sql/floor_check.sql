-- Row 1f: what the floor stored (events, keys, rollup rows and total), in the order of
-- floor_stored.sql, which read the same of the import's tables when they were dumped.
SELECT (SELECT count(*) FROM floor_event),
       (SELECT count(*) FROM floor_event_key),
       (SELECT count(*) FROM floor_daily),
       (SELECT sum(n) FROM floor_daily),
       (SELECT count(*) FROM floor_status_count),
       (SELECT count(*) FROM floor_tile_bin)

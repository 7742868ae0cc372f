-- Row 1f: the floor stored what the import stored (events, keys, rollup totals).
SELECT (SELECT count(*) FROM floor_event) = (SELECT count(*) FROM event)
   AND (SELECT count(*) FROM floor_event_key) = (SELECT count(*) FROM event_key)
   AND (SELECT count(*) FROM floor_daily) = (SELECT count(*) FROM event_daily)
   AND (SELECT sum(n) FROM floor_daily) = (SELECT sum(n) FROM event_daily)
   AND (SELECT count(*) FROM floor_status_count) = (SELECT count(*) FROM event_status_count)
   AND (SELECT count(*) FROM floor_tile_bin) = (SELECT count(*) FROM event_tile_bin)

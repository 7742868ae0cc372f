-- Rows 1f and 1b: what a set of event tables holds (events, keys, rollup rows and totals),
-- read of the import's tables in the snapshot of their dump and of the floor's tables after
-- the floor ran (bench/floor.py compares the two). The tables are filled in as identifiers.
SELECT (SELECT count(*) FROM {event}) AS events,
       (SELECT count(*) FROM {event_key}) AS keys,
       (SELECT count(*) FROM {daily}) AS daily_rows,
       (SELECT coalesce(sum(n), 0) FROM {daily}) AS daily_events,
       (SELECT count(*) FROM {status_count}) AS status_count_rows,
       (SELECT coalesce(sum(n), 0) FROM {status_count}) AS status_count_events,
       (SELECT count(*) FROM {tile_bin}) AS tile_bin_rows,
       (SELECT coalesce(sum(n), 0) FROM {tile_bin}) AS tile_bin_events

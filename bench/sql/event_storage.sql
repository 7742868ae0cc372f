-- Storage of the events (heap, TOAST and maps, every index) and of their rollup. The events
-- are the event table and its idempotency key, event_key (one row per event since
-- migration 0006).
SELECT count(*) AS events,
       pg_total_relation_size('event') + pg_total_relation_size('event_key') AS total_bytes,
       pg_relation_size('event') + pg_relation_size('event_key') AS heap_bytes,
       pg_table_size('event') - pg_relation_size('event')
       + pg_table_size('event_key') - pg_relation_size('event_key') AS toast_and_maps_bytes,
       pg_indexes_size('event') + pg_indexes_size('event_key') AS index_bytes,
       pg_total_relation_size('event_daily') AS rollup_bytes,
       (SELECT count(*) FROM event_daily) AS rollup_rows
FROM event

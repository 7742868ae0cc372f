-- Storage of the event table (heap, TOAST and maps, every index) and of its rollup.
SELECT count(*) AS events,
       pg_total_relation_size('event') AS total_bytes,
       pg_relation_size('event') AS heap_bytes,
       pg_table_size('event') - pg_relation_size('event') AS toast_and_maps_bytes,
       pg_indexes_size('event') AS index_bytes,
       pg_total_relation_size('event_daily') AS rollup_bytes,
       (SELECT count(*) FROM event_daily) AS rollup_rows
FROM event

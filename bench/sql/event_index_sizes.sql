-- Each index of the event and event_key tables and its size, largest first.
SELECT i.indexrelid::regclass::text AS index, pg_relation_size(i.indexrelid) AS bytes
FROM pg_index AS i
WHERE i.indrelid IN ('event'::regclass, 'event_key'::regclass)
ORDER BY bytes DESC, index

-- Each index of the event and event_key tables and its size with every fork (an index
-- vacuumed has a free space map too, as pg_indexes_size counts it), largest first.
SELECT i.indexrelid::regclass::text AS index, pg_total_relation_size(i.indexrelid) AS bytes
FROM pg_index AS i
WHERE i.indrelid IN ('event'::regclass, 'event_key'::regclass)
ORDER BY bytes DESC, index

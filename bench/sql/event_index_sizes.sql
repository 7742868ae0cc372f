-- Each index of the event table and its size, largest first.
SELECT i.indexrelid::regclass::text AS index, pg_relation_size(i.indexrelid) AS bytes
FROM pg_index AS i
WHERE i.indrelid = 'event'::regclass
ORDER BY bytes DESC, index

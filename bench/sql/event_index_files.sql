-- Row 7c: each index of the event tables and its file (a REINDEX gives it a new one).
SELECT i.indexrelid::regclass::text AS index, pg_relation_filenode(i.indexrelid) AS filenode
FROM pg_index AS i
WHERE i.indrelid IN ('event'::regclass, 'event_key'::regclass)
ORDER BY index

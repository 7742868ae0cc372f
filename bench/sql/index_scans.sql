-- Index scans so far of every index of the tables an import writes (the statistics
-- collector's counters, flushed by each backend when it is idle): the difference over a
-- step of the benchmark says which indexes that step read.
SELECT indexrelname, relname, idx_scan
FROM pg_stat_user_indexes
WHERE relname IN ('event', 'event_key', 'event_daily', 'event_status_count')
ORDER BY relname, indexrelname

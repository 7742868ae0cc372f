-- Events per community, category, status and urgency, without days: what the dispatch
-- queue's tabs count (gridsvc.workflow.queue). event_daily answers the same with a sum over
-- every day of the area's history (about 8 million rollup rows at 10 million events for the
-- city); this table has one row per key whatever the history, so a citywide queue reads the
-- same rows in its first year as in its tenth.
--
-- Kept exact by the statements that keep event_daily, in the same statement: reports
-- (event_report.sql), imports and report batches (event_insert_stage.sql), transitions
-- (event_daily_move.sql) and grid reassignment (event_reassign.sql). Each adds its changes
-- here in key order after all of its event_daily rows (a one-time filter reads the rollup
-- insert to its end first), and each transaction changes the rollup in one statement, so
-- two writers cannot wait on each other's rows in a cycle. A key's count may fall to 0.
-- (Statement triggers on event_daily were tried first: INSERT … ON CONFLICT fires its
-- UPDATE and INSERT triggers separately, two sorted passes, which can deadlock.)
CREATE TABLE event_status_count (
    community_code  text NOT NULL,
    category        text NOT NULL,
    status          text NOT NULL,
    urgency         text NOT NULL,
    n               bigint NOT NULL,
    PRIMARY KEY (community_code, category, status, urgency)
);

-- no write may slip between this copy and the first writer of the new code (the migration's
-- transaction holds the lock to its commit; readers go on)
LOCK TABLE event_daily IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO event_status_count (community_code, category, status, urgency, n)
SELECT community_code, category, status, urgency, sum(n)
FROM event_daily
GROUP BY 1, 2, 3, 4
HAVING sum(n) <> 0;

ANALYZE event_status_count;

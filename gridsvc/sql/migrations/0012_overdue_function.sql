-- "Overdue", defined once (issue #23): an event waits past its deadline when it is reported
-- and was not accepted by accept_due_at, or dispatched or in progress and was not resolved by
-- resolve_due_at, judged at at_time (the service's clock, passed in: not the server's now(),
-- so a replay or a test judges at the time it sets). NULL when the deadline it waits on is
-- NULL; the caller decides what that means (an event list's overdue=false leaves such an
-- event out, statistics count it as not overdue, the API shows false).
--
-- Read by every event read (gridsvc.events.columns.OVERDUE_SQL), the event lists' and the
-- queue's filter (gridsvc.events.store.filter_where) and the statistics' and maps' filter
-- (stats_event_filter.sql). A single expression in LANGUAGE sql, not STRICT, no SET, and
-- IMMUTABLE as every operator in it is: PostgreSQL inlines it into each query, which plans
-- as with the expression written out, so the partial indexes event_accept_due and
-- event_resolve_due (migration 0003) still answer a filter on it. Under Citus a function
-- created through the coordinator exists on every node (docs/scaling.md).
CREATE OR REPLACE FUNCTION event_overdue(status text, accept_due_at timestamptz,
                                         resolve_due_at timestamptz, at_time timestamptz)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (status = 'reported' AND accept_due_at < at_time)
           OR (status IN ('dispatched', 'in_progress') AND resolve_due_at < at_time);

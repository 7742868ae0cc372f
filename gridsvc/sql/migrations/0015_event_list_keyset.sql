-- Event lists are ordered by (occurred_at DESC, id DESC) and page with a keyset cursor, the
-- place (occurred_at, id) of a page's last event (gridsvc.events.keyset, issue #24). Each
-- page is then one range of one of these two indexes, read backwards, and stops after a
-- page: the newest events, a day of every category (event_time_id), one category over any
-- window (event_category_time_id; the list filters one category with "=", so that
-- PostgreSQL 15 takes the order from the index). The id in the key makes the order of events
-- that occurred at the same instant the index's own: no sort. Until now lists paged by id
-- and a window in the past was reached after every newer event, or read whole through the
-- BRIN and sorted (~1 s at 10 million events for a month of one category a year back).
--
-- event_time_id replaces the BRIN on occurred_at (0002): every query that bounds the time
-- (statistics and maps on the events, the queue's counts, the vector tiles) now reads that
-- range from the btree, exactly, where the BRIN handed over whole block ranges (at 10
-- million events ~2 million rows for a month, their times overlapping). The other
-- indexes on occurred_at stay: event_community_time (a community's events, the scope of a
-- grid worker or community dispatcher; a list there is that range and a sort of equal
-- times, which PostgreSQL does incrementally) and event_open_near (nearby duplicates).
--
-- Cost, measured (2026-12-05): event_time_id ~32 B per event, event_category_time_id 59 B
-- when built at once (1 million events) and 99 B when it grows with imports (the bench's
-- 100,000: each category's newest entries go to the middle of the index, whose pages split
-- half full; a REINDEX brings it back to the first figure); one more index update per
-- insert each. The BRIN was ~0.02 B.
-- Locks: the builds block writes to event (at 10 million events about a minute each). On a
-- live database build them first with CREATE INDEX CONCURRENTLY under the same names; this
-- migration then keeps them (IF NOT EXISTS).
CREATE INDEX IF NOT EXISTS event_time_id ON event (occurred_at, id);
CREATE INDEX IF NOT EXISTS event_category_time_id ON event (category, occurred_at, id);
DROP INDEX IF EXISTS event_occurred_brin;
ANALYZE event;

-- event_category_time and event_open had the same key, (category, occurred_at); the first
-- cost ~80 bytes per event and one more index update per insert. Nearby duplicates and the
-- open queues read event_open (open events only); lists of every status page by id.
DROP INDEX IF EXISTS event_category_time;

-- The commonest statistic is one category over a period: with only (day, category) it read
-- every category's rollup rows of the period (at 10 million events, ~65 ms for a month).
CREATE INDEX IF NOT EXISTS event_daily_category_day ON event_daily (category, day);

-- event_category_time and event_open had the same key, (category, occurred_at); the first
-- cost ~80 bytes per event and one more index update per insert. Nearby duplicates and the
-- open queues read event_open (open events only); lists of every status page by id.
DROP INDEX IF EXISTS event_category_time;

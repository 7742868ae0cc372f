-- Baseline of the list rows (bench/lists.py): the indexes of event before migration 0015,
-- inside the baseline's own transaction, which is rolled back (the two btrees come back
-- unchanged, the BRIN goes). Nothing else runs on event meanwhile (DROP INDEX locks it).
DROP INDEX event_time_id, event_category_time_id;
CREATE INDEX event_occurred_brin ON event USING brin (occurred_at);

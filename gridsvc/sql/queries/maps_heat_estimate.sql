-- The planner's estimate of how many events a StatsFilter selects (statistics of event's
-- columns; no rows read, ~1 ms): the heat map samples a selection estimated far above what a
-- page can show (gridsvc/maps/heatmap.py). Returns one JSON plan; "Plan Rows" is the estimate.
EXPLAIN (FORMAT JSON) SELECT 1 FROM event AS e WHERE {event_filter}

-- A deterministic sample of event locations (every k-th id), where the tiles are sampled.
SELECT ST_X(geom), ST_Y(geom) FROM event WHERE id %% %(every)s = 0 ORDER BY id LIMIT %(n)s

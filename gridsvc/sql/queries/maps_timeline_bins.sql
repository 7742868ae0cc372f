-- maps_heat_bins.sql per period: the events a StatsFilter selects, counted per period of
-- %(interval)s ('day', 'week' from Monday, or 'month') of their Beijing day and per cell of
-- a square lattice of %(cell_deg)s degrees (EPSG:4326; each row is a cell centre). Same
-- filter semantics and the same ~1 km rounding of %(sensitive)s categories as the heat map.
-- At most %(max_rows)s + 1 rows come back, so the caller can refuse a page that would be
-- too heavy.
SELECT b.period_start, ST_X(b.cell) AS lon_wgs84, ST_Y(b.cell) AS lat_wgs84, b.n
FROM (
    SELECT date_trunc(%(interval)s, e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date
               AS period_start,
           ST_SnapToGrid(
               CASE WHEN e.category = ANY (%(sensitive)s::text[])
                    THEN ST_SnapToGrid(e.geom, 0.01) ELSE e.geom END,
               %(cell_deg)s) AS cell,
           count(*)::bigint AS n
    FROM event AS e
    WHERE {event_filter}
    GROUP BY 1, 2
) AS b
ORDER BY b.period_start, b.n DESC, 2, 3
LIMIT %(max_rows)s + 1

-- maps_heat_bins.sql per period: the events a StatsFilter selects, counted per period of
-- %(interval)s ('day', 'week' from Monday, or 'month') of their Beijing day and per cell of
-- a square lattice of %(cell_deg)s degrees (EPSG:4326; each row is a cell centre, the
-- nearest node as in maps_heat_bins.sql). Same filter semantics and the same ~1 km rounding
-- of %(sensitive)s categories as the heat map.
-- At most %(max_rows)s + 1 rows come back, so the caller can refuse a page that would be
-- too heavy.
SELECT b.period_start, b.ix * %(cell_deg)s::float8 AS lon_wgs84,
       b.iy * %(cell_deg)s::float8 AS lat_wgs84, b.n
FROM (
    SELECT p.period_start,
           round(p.x / %(cell_deg)s::float8)::bigint AS ix,
           round(p.y / %(cell_deg)s::float8)::bigint AS iy,
           count(*)::bigint AS n
    FROM (
        SELECT date_trunc(%(interval)s, e.occurred_at AT TIME ZONE %(city_tz)s)::date
                   AS period_start,
               CASE WHEN e.category = ANY (%(sensitive)s::text[])
                    THEN round(ST_X(e.geom) / 0.01) * 0.01 ELSE ST_X(e.geom) END AS x,
               CASE WHEN e.category = ANY (%(sensitive)s::text[])
                    THEN round(ST_Y(e.geom) / 0.01) * 0.01 ELSE ST_Y(e.geom) END AS y
        FROM event AS e
        WHERE {event_filter}
    ) AS p
    GROUP BY 1, 2, 3
) AS b
ORDER BY b.period_start, b.n DESC, b.ix, b.iy
LIMIT %(max_rows)s + 1

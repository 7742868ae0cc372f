-- An events tile's bins from event_tile_bin (migration 0014), for a caller who sees every
-- event (gridsvc.vtiles.events_tile): the events of the %(kinds)s kinds counted per bin of
-- tile %(tile_z)s/%(tile_x)s/%(tile_y)s (zoom 12-15), at their mean position, as the MVT
-- layer "event_bins" that vtile_events.sql draws from the events themselves. The tile's
-- zoom 15 tiles are the columns %(columns)s and the rows %(row_first)s-%(row_last)s (one
-- contiguous range of the key per column); a zoom 15 bin's column 16x + i, shifted right by
-- %(shift)s bits (15 - zoom), is its bin's column at the tile's zoom. One row: how many
-- events the tile holds, and the tile when they are more than %(max_points)s (else NULL:
-- the caller draws them as points from the events).
WITH bins AS (
    SELECT ((b.x * 16 + b.i) >> %(shift)s) - %(first_i)s AS i,
           ((b.y * 16 + b.j) >> %(shift)s) - %(first_j)s AS j,
           sum(b.n)::bigint AS n, sum(b.sx) / sum(b.n)::float8 AS mx,
           sum(b.sy) / sum(b.n)::float8 AS my
    FROM event_tile_bin AS b
    WHERE b.x = ANY (%(columns)s::integer[])
      AND b.y BETWEEN %(row_first)s AND %(row_last)s
      AND b.kind = ANY (%(kinds)s::smallint[])
    GROUP BY 1, 2
    HAVING sum(b.n) > 0
)
SELECT coalesce((SELECT sum(n) FROM bins), 0)::bigint AS events,
       CASE WHEN coalesce((SELECT sum(n) FROM bins), 0) > %(max_points)s THEN (
           SELECT ST_AsMVT(t.*, 'event_bins', %(extent)s, 'geom')
           FROM (
               SELECT bins.n AS count,
                      ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(bins.mx, bins.my), 3857),
                                   ST_TileEnvelope(%(tile_z)s, %(tile_x)s, %(tile_y)s),
                                   %(extent)s, 0, false) AS geom
               FROM bins
           ) AS t
       ) END AS mvt

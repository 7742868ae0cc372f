-- Row 1f: the rollups of one COPYed batch (event_daily, event_status_count, event_tile_bin) (the events first_id..last_id, contiguous in the
-- dump), one INSERT … SELECT … GROUP BY per rollup in one statement, as
-- gridsvc's event_insert_stage.sql writes them: keys in order, added to the counts there.
WITH b AS (
    SELECT community_code, category, status, urgency, source, occurred_at, geom
    FROM floor_event
    WHERE id BETWEEN %(first_id)s AND %(last_id)s
), roll AS (
    INSERT INTO floor_daily AS d (community_code, category, status, urgency, source, day, n)
    SELECT community_code, category, status, urgency, source,
           (occurred_at AT TIME ZONE %(city_tz)s)::date, count(*)
    FROM b
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (community_code, category, status, urgency, source, day)
    DO UPDATE SET n = d.n + excluded.n
    RETURNING 1
), status_counted AS (
    INSERT INTO floor_status_count AS t (community_code, category, status, urgency, n)
    SELECT community_code, category, status, urgency, count(*)
    FROM b
    WHERE (SELECT count(*) FROM roll) >= 0
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (community_code, category, status, urgency) DO UPDATE SET n = t.n + excluded.n
    RETURNING 1
)
INSERT INTO floor_tile_bin AS tb (x, y, i, j, kind, n, sx, sy)
SELECT c.x, c.y, c.i, c.j, c.kind, count(*), sum(c.mx), sum(c.my)
FROM b
LEFT JOIN category AS k ON k.code = b.category
CROSS JOIN LATERAL event_tile_cells(ST_X(b.geom), ST_Y(b.geom), coalesce(k.sensitive, false)) AS c
WHERE (SELECT count(*) FROM status_counted) >= 0
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (x, y, i, j, kind)
DO UPDATE SET n = tb.n + excluded.n, sx = tb.sx + excluded.sx, sy = tb.sy + excluded.sy

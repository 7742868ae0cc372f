-- Move the events tiles' bins (event_tile_bin, migration 0014) of the events of the
-- categories %(codes)s, whose sensitive flag has just changed (the new flags stored, in the
-- caller's transaction): each event's rows under its old flag are taken away and its rows
-- under the new one added, so analysts' tiles round exactly the categories that are now
-- sensitive. The caller holds event in SHARE mode from before the flags changed
-- (gridsvc.events.taxonomy_db.store_taxonomy): no event is being stored meanwhile, and every
-- event stored before was counted under the old flag. Rows in key order.
INSERT INTO event_tile_bin AS b (x, y, i, j, kind, n, sx, sy)
SELECT c.x, c.y, c.i, c.j, c.kind, sum(s.sign), sum(s.sign * c.mx), sum(s.sign * c.my)
FROM event AS e
JOIN category AS k ON k.code = e.category
CROSS JOIN LATERAL (VALUES (-1, NOT k.sensitive), (1, k.sensitive)) AS s (sign, sensitive)
CROSS JOIN LATERAL event_tile_cells(ST_X(e.geom), ST_Y(e.geom), s.sensitive) AS c
WHERE e.category = ANY (%(codes)s::text[])
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (x, y, i, j, kind)
DO UPDATE SET n = b.n + excluded.n, sx = b.sx + excluded.sx, sy = b.sy + excluded.sy

-- The events tile as the PostGIS documentation writes a tile query, with no filter, no
-- bins and no properties but the id: every event of the tile and its buffer as a point,
-- the envelope transformed to EPSG:4326 for the GiST index. The floor under
-- gridsvc.vtiles.events_tile (same tiles, one open connection).
SELECT ST_AsMVT(t.*, 'events', 4096, 'geom', 'id')
FROM (
    SELECT e.id,
           ST_AsMVTGeom(ST_Transform(e.geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
                        4096, 64, true) AS geom
    FROM event AS e
    WHERE e.geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096),
                                 4326)
) AS t

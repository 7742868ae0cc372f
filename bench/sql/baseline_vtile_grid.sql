-- A grid tile as the PostGIS documentation writes a tile query: the active version's
-- communities in the tile and its buffer, code only, no simplification. The floor under
-- gridsvc.vtiles.grid_tile (same tiles, one open connection).
SELECT ST_AsMVT(t.*, 'community', 4096, 'geom')
FROM (
    SELECT u.code,
           ST_AsMVTGeom(ST_Transform(u.geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
                        4096, 64, true) AS geom
    FROM grid_unit AS u
    JOIN grid_version AS v ON v.id = u.version_id AND v.active
    WHERE u.level = 'community'
      AND u.geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096),
                                 4326)
) AS t

-- One grid level of one version as a Mapbox Vector Tile layer (gridsvc.vtiles.grid_tile).
-- The units are found through the GiST index on grid_unit.geom (EPSG:4326) with the tile's
-- envelope, buffer included, transformed once to 4326 (a Web Mercator rectangle is a
-- lon/lat rectangle): only the units in the tile are transformed, never the whole level.
-- Each is first simplified in degrees by %(simplify_deg)s (a quarter of a tile pixel, so
-- nothing visible moves), then transformed, clipped and snapped to the tile grid by
-- ST_AsMVTGeom. Units whose clipped geometry vanishes are left out.
WITH tile AS (
    SELECT ST_TileEnvelope(%(tile_z)s, %(tile_x)s, %(tile_y)s) AS merc,
           ST_Transform(
               ST_TileEnvelope(%(tile_z)s, %(tile_x)s, %(tile_y)s, margin => %(margin)s), 4326
           ) AS box
)
SELECT ST_AsMVT(t.*, %(layer)s, %(extent)s, 'geom')
FROM (
    SELECT u.code, u.name, u.level, u.parent_code, u.sector_code,
           ST_AsMVTGeom(
               ST_Transform(ST_Simplify(u.geom, %(simplify_deg)s, true), 3857),
               tile.merc, %(extent)s, %(buffer)s, true
           ) AS geom
    FROM grid_unit AS u, tile
    WHERE u.version_id = %(version_id)s
      AND u.level = %(level)s
      AND u.geom && tile.box
) AS t
WHERE t.geom IS NOT NULL

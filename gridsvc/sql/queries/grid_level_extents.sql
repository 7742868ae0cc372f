-- The levels of one grid version with their unit counts and lon/lat extents (EPSG:4326):
-- (gridsvc.grids.layout: the grid layers of vector tiles, the OGC collections and their extents).
SELECT u.level, count(*),
       ST_XMin(ST_Extent(u.geom)), ST_YMin(ST_Extent(u.geom)),
       ST_XMax(ST_Extent(u.geom)), ST_YMax(ST_Extent(u.geom))
FROM grid_unit AS u
WHERE u.version_id = %(version_id)s
GROUP BY u.level

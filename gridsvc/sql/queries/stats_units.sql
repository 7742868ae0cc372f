-- The units of one level of grid version %(version_id)s, with their polygons as WKB when
-- %(with_geometry)s.
SELECT u.code, u.name, u.level, u.parent_code, u.sector_code, u.area_km2, u.population,
       CASE WHEN %(with_geometry)s THEN ST_AsBinary(u.geom) END AS wkb
FROM grid_unit AS u
WHERE u.version_id = %(version_id)s AND u.level = %(level)s
ORDER BY u.code

-- Cut the community and grid polygons of one version into pieces of at most 64 vertices.
INSERT INTO grid_unit_part (version_id, code, level, geom)
SELECT u.version_id, u.code, u.level, ST_Subdivide(u.geom, 64)
FROM grid_unit AS u
WHERE u.version_id = %(version_id)s AND u.level IN ('community', 'grid')

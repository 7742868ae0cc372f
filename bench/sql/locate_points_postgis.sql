-- The design comparison: each staged point's community in PostGIS, by the same rule as the
-- in-process locator (the lowest code among the pieces the point intersects).
SELECT b.i,
       (SELECT p.code FROM grid_unit_part AS p
         WHERE p.version_id = %(version_id)s AND p.level = 'community'
           AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(b.lon, b.lat), 4326))
         ORDER BY p.code LIMIT 1) AS code
FROM bench_point AS b
ORDER BY b.i

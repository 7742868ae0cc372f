-- One level of a version as GeoJSON features; simplify_m = 0 keeps full geometry.
-- Simplification preserves topology per polygon (shared edges may drift by < simplify_m).
SELECT code, name, level, parent_code, sector_code, kind, synthetic, area_km2, population,
       CASE WHEN %(with_geometry)s THEN
           ST_AsGeoJSON(
               CASE WHEN %(simplify_deg)s > 0
                    THEN ST_SimplifyPreserveTopology(geom, %(simplify_deg)s)
                    ELSE geom END,
               7)
       END AS geojson
FROM grid_unit
WHERE version_id = %(version_id)s AND level = %(level)s
ORDER BY code

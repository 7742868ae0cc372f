SELECT code, level, name, parent_code, sector_code, kind, synthetic, area_km2, population,
       ST_AsBinary(geom) AS wkb
FROM grid_unit
WHERE version_id = %(version_id)s
ORDER BY level, code

-- One page of a grid level's units for OGC API Features, in code order; an empty code list
-- means every unit; the bbox (WGS-84) is optional. numberMatched rides along on every row.
SELECT code, name, level, parent_code, sector_code, kind, synthetic, area_km2, population,
       ST_AsBinary(geom) AS wkb, count(*) OVER () AS matched
FROM grid_unit
WHERE version_id = %(version_id)s AND level = %(level)s
  AND (%(code)s::text IS NULL OR code = %(code)s)
  AND (%(x0)s::float8 IS NULL
       OR (geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326)
           AND ST_Intersects(geom, ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326))))
ORDER BY code
LIMIT %(limit)s OFFSET %(offset)s

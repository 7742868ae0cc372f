SELECT u.code, u.name, u.level, u.parent_code, u.sector_code, u.kind, u.synthetic,
       u.area_km2, u.population, ST_AsGeoJSON(u.geom, 7) AS geojson,
       (SELECT count(*) FROM grid_unit AS c
         WHERE c.version_id = u.version_id
           AND (c.parent_code = u.code OR (u.level = 'sector' AND c.sector_code = u.code
                                            AND c.level = 'street'))) AS children
FROM grid_unit AS u
WHERE u.version_id = %(version_id)s AND u.code = %(code)s

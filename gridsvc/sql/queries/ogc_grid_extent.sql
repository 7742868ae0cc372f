-- The WGS-84 extent of one level of the active grid version (NULLs when it has no units).
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), n
FROM (SELECT ST_Extent(u.geom) AS e, count(*) AS n
      FROM grid_unit AS u JOIN grid_version AS v ON v.id = u.version_id AND v.active
      WHERE u.level = %(level)s) AS x

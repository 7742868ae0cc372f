SELECT v.id, v.name, v.synthetic, v.source, v.loaded_at, v.active, v.notes,
       (SELECT count(*) FROM grid_unit AS u
         WHERE u.version_id = v.id AND u.level = 'community') AS communities,
       (SELECT count(*) FROM grid_unit AS u
         WHERE u.version_id = v.id AND u.level = 'grid') AS grids
FROM grid_version AS v
WHERE v.active

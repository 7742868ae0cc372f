SELECT v.id, v.name, v.synthetic, v.source, v.loaded_at, v.active, v.notes,
       count(u.code) FILTER (WHERE u.level = 'community') AS communities,
       count(u.code) FILTER (WHERE u.level = 'grid') AS grids
FROM grid_version AS v
LEFT JOIN grid_unit AS u ON u.version_id = v.id
GROUP BY v.id
ORDER BY v.id

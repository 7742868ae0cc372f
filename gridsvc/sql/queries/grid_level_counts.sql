SELECT u.level, count(*) FROM grid_unit AS u
JOIN grid_version AS v ON v.id = u.version_id AND v.active
GROUP BY u.level

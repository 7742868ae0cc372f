-- Fragment {member} of the stats_* queries, and run alone by gridsvc.stats.grids (which keeps
-- the mapping per version and level): every community of grid version %(version_id)s
-- with the unit of level %(level)s that it belongs to (community: itself; street: its parent;
-- sector: its sector_code; district: its street's parent; city: that district's parent).
-- Every count above the community level is a sum over communities through this one mapping,
-- so the levels add up exactly.
SELECT c.code AS community_code,
       CASE %(level)s
           WHEN 'community' THEN c.code
           WHEN 'street' THEN c.parent_code
           WHEN 'sector' THEN c.sector_code
           WHEN 'district' THEN s.parent_code
           WHEN 'city' THEN d.parent_code
       END AS unit_code
FROM grid_unit AS c
LEFT JOIN grid_unit AS s ON s.version_id = c.version_id AND s.code = c.parent_code
LEFT JOIN grid_unit AS d ON d.version_id = s.version_id AND d.code = s.parent_code
WHERE c.version_id = %(version_id)s AND c.level = 'community'

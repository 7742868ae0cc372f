-- Reassign every event not yet on version %(version_id)s to that version's grids: the
-- community containing the point (the lowest code on a shared edge, as in-process lookups
-- do), or within %(snap_m)s metres the nearest one (flagged snapped), else no community.
-- near_boundary is recomputed: another community lies within %(near_m)s metres.
-- Returns the counts of events seen, moved to another community, and left outside.
WITH located AS (
    SELECT e.id, e.community_code AS old_code,
           coalesce(
               (SELECT p.code FROM grid_unit_part AS p
                 WHERE p.version_id = %(version_id)s AND p.level = 'community'
                   AND ST_Intersects(p.geom, e.geom)
                 ORDER BY p.code LIMIT 1),
               NULL) AS inside_code
    FROM event AS e
    WHERE e.grid_version_id IS DISTINCT FROM %(version_id)s
), snapped AS (
    SELECT l.id, l.old_code,
           coalesce(l.inside_code, n.code) AS new_code,
           l.inside_code IS NULL AND n.code IS NOT NULL AS snapped
    FROM located AS l
    LEFT JOIN LATERAL (
        SELECT p.code FROM grid_unit_part AS p, event AS e
         WHERE l.inside_code IS NULL AND e.id = l.id
           AND p.version_id = %(version_id)s AND p.level = 'community'
           AND ST_DWithin(p.geom::geography, e.geom::geography, %(snap_m)s)
         ORDER BY ST_Distance(p.geom::geography, e.geom::geography), p.code
         LIMIT 1
    ) AS n ON true
), chain AS (
    SELECT s.id, s.old_code, s.new_code, s.snapped,
           st.code AS street_code, st.sector_code, st.parent_code AS district_code
    FROM snapped AS s
    LEFT JOIN grid_unit AS c ON c.version_id = %(version_id)s AND c.code = s.new_code
    LEFT JOIN grid_unit AS st ON st.version_id = %(version_id)s AND st.code = c.parent_code
), updated AS (
    UPDATE event AS e
       SET grid_version_id = %(version_id)s,
           community_code = ch.new_code,
           street_code = ch.street_code,
           sector_code = ch.sector_code,
           district_code = ch.district_code,
           snapped = ch.snapped,
           near_boundary = (
               SELECT count(DISTINCT p.code) > 1 FROM grid_unit_part AS p
                WHERE p.version_id = %(version_id)s AND p.level = 'community'
                  AND ST_DWithin(p.geom::geography, e.geom::geography, %(near_m)s))
      FROM chain AS ch
     WHERE e.id = ch.id
    RETURNING e.id, ch.old_code IS DISTINCT FROM ch.new_code AS moved,
              ch.new_code IS NULL AS outside
)
SELECT count(*) AS total,
       count(*) FILTER (WHERE moved) AS moved,
       count(*) FILTER (WHERE outside) AS outside
FROM updated

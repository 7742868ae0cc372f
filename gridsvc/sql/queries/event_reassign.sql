-- Reassign every event not yet on version %(version_id)s to that version's grids: the
-- community containing the point (the lowest code on a shared edge, as in-process lookups
-- do), or within %(snap_m)s metres the nearest one (flagged snapped), else no community
-- (''). near_boundary is recomputed: another community lies within %(near_m)s metres.
-- An event's community is part of its primary key: its dispatches and history follow by the
-- foreign keys' ON UPDATE CASCADE, its event_key row here, its rollup counts below.
-- Returns the counts of events seen, moved to another community, and left outside.
WITH located AS (
    SELECT e.id, e.community_code AS old_code,
           (SELECT p.code FROM grid_unit_part AS p
             WHERE p.version_id = %(version_id)s AND p.level = 'community'
               AND ST_Intersects(p.geom, e.geom)
             ORDER BY p.code LIMIT 1) AS inside_code
    FROM event AS e
    WHERE e.grid_version_id IS DISTINCT FROM %(version_id)s
), snapped AS (
    SELECT l.id, l.old_code,
           coalesce(l.inside_code, n.code, '') AS new_code,
           l.inside_code IS NULL AND n.code IS NOT NULL AS snapped
    FROM located AS l
    LEFT JOIN LATERAL (
        SELECT p.code FROM grid_unit_part AS p, event AS e
         WHERE l.inside_code IS NULL AND e.id = l.id
           AND p.version_id = %(version_id)s AND p.level = 'community'
           -- degrees prefilter (index) before the exact metric test; 1° of longitude ≥ 50 km below 63° latitude
           AND p.geom && ST_Expand(e.geom, %(snap_m)s / 50000.0)
           AND ST_DWithin(p.geom::geography, e.geom::geography, %(snap_m)s)
         ORDER BY ST_Distance(p.geom::geography, e.geom::geography), p.code
         LIMIT 1
    ) AS n ON true
), chain AS (
    SELECT s.id, s.old_code, s.new_code, s.snapped,
           st.code AS street_code, st.sector_code, st.parent_code AS district_code,
           (SELECT g.code FROM grid_unit_part AS g, event AS e
             WHERE s.new_code <> '' AND e.id = s.id
               AND g.version_id = %(version_id)s AND g.level = 'grid'
               AND g.code LIKE s.new_code || '%%' AND ST_Intersects(g.geom, e.geom)
             ORDER BY g.code LIMIT 1) AS grid_code
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
           grid_code = ch.grid_code,
           snapped = ch.snapped,
           near_boundary = (
               SELECT count(DISTINCT p.code) > 1 FROM grid_unit_part AS p
                WHERE p.version_id = %(version_id)s AND p.level = 'community'
                  AND p.geom && ST_Expand(e.geom, %(near_m)s / 50000.0)
                  AND ST_DWithin(p.geom::geography, e.geom::geography, %(near_m)s))
      FROM chain AS ch
     WHERE e.community_code = ch.old_code AND e.id = ch.id
    RETURNING e.id, e.reporter_id, e.client_event_id, ch.old_code, ch.new_code, e.category,
              e.status, e.urgency, e.source,
              (e.occurred_at AT TIME ZONE %(city_tz)s)::date AS day,
              ch.old_code <> ch.new_code AS moved,
              ch.new_code = '' AS outside
), rekeyed AS (
    UPDATE event_key AS k
       SET community_code = u.new_code
      FROM updated AS u
     WHERE u.moved
       AND k.reporter_id = u.reporter_id AND k.client_event_id = u.client_event_id
), delta AS (
    -- the rollup follows: -1 where an event left, +1 where it arrived (net per key)
    SELECT code, category, status, urgency, source, day, sum(d) AS d
    FROM (SELECT old_code AS code, category, status, urgency, source, day, -1 AS d
            FROM updated WHERE moved
          UNION ALL
          SELECT new_code, category, status, urgency, source, day, 1
            FROM updated WHERE moved) AS x
    GROUP BY code, category, status, urgency, source, day
    HAVING sum(d) <> 0
), roll AS (
    INSERT INTO event_daily AS t (community_code, category, status, urgency, source, day, n)
    SELECT code, category, status, urgency, source, day, d FROM delta
    ORDER BY code, category, status, urgency, source, day  -- one lock order: no deadlocks
    ON CONFLICT (community_code, category, status, urgency, source, day)
    DO UPDATE SET n = t.n + excluded.n
    RETURNING 1
), status_counted AS (
    -- the queue's counts follow too, in key order, after every rollup row (migration 0011)
    INSERT INTO event_status_count AS s (community_code, category, status, urgency, n)
    SELECT code, category, status, urgency, sum(d)
    FROM delta
    WHERE (SELECT count(*) FROM roll) >= 0
    GROUP BY code, category, status, urgency
    HAVING sum(d) <> 0
    ORDER BY code, category, status, urgency
    ON CONFLICT (community_code, category, status, urgency) DO UPDATE SET n = s.n + excluded.n
)
SELECT count(*) AS total,
       count(*) FILTER (WHERE moved) AS moved,
       count(*) FILTER (WHERE outside) AS outside
FROM updated

-- Events per unit of level %(level)s (and per category when %(by_category)s, else category
-- ''), summed from the event_daily rollup of the communities each unit contains, and in the
-- same pass (one read of the rollup) the matching events no unit of grid version
-- %(version_id)s counts. kind is
--   'unit'           a unit's count (unit_code set; units without events have no row);
--   'outside'        events outside every grid (community '');
--   'not_in_version' events on a community code the version does not have (assigned under
--                    another version and not reassigned);
--   'no_unit'        events on a community of the version without a unit at this level
--                    (a community outside every 板块 at level sector).
-- The city's count plus outside and not_in_version is every matching event.
WITH member AS ({member}),
daily AS ({daily}),
per_community AS (
    SELECT d.community_code,
           CASE WHEN %(by_category)s THEN d.category ELSE '' END AS category,
           sum(d.n) AS n
    FROM daily AS d
    GROUP BY 1, 2
)
SELECT CASE WHEN p.community_code = '' THEN 'outside'
            WHEN m.community_code IS NULL THEN 'not_in_version'
            WHEN m.unit_code IS NULL THEN 'no_unit'
            ELSE 'unit' END AS kind,
       m.unit_code,
       p.category,
       sum(p.n)::bigint AS n
FROM per_community AS p
LEFT JOIN member AS m ON m.community_code = p.community_code AND p.community_code <> ''
GROUP BY 1, 2, 3

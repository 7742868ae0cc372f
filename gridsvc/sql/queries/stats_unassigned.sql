-- Events the filter selects that no unit of grid version %(version_id)s counts: those outside
-- every grid (community '') and those on a community code the version does not have (assigned
-- under another version and not reassigned). The lookup is by primary key, without the level
-- (only communities have such codes), so it stays an index probe whatever the statistics say.
WITH daily AS ({daily}),
per_community AS (
    SELECT d.community_code, sum(d.n) AS n FROM daily AS d GROUP BY d.community_code
)
SELECT coalesce(sum(p.n) FILTER (WHERE p.community_code = ''), 0)::bigint AS outside_grids,
       coalesce(sum(p.n) FILTER (
           WHERE p.community_code <> ''
             AND NOT EXISTS (SELECT 1 FROM grid_unit AS c
                              WHERE c.version_id = %(version_id)s AND c.code = p.community_code)
       ), 0)::bigint AS not_in_version
FROM per_community AS p

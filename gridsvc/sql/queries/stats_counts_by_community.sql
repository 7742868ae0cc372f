-- Events per community (and per category when %(by_category)s, else category ''), summed
-- from the event_daily rollup rows the filter selects; community '' holds the events outside
-- every grid. counts_by_unit sums these rows up to the units of a level through the
-- community→unit mapping of stats_member.sql, which it reads once per grid version and level
-- and keeps (the mapping never changes within a version): joining it here on every call cost
-- about as much as reading the rollup.
WITH daily AS ({daily})
SELECT d.community_code,
       CASE WHEN %(by_category)s THEN d.category ELSE '' END AS category,
       sum(d.n)::bigint AS n
FROM daily AS d
GROUP BY 1, 2

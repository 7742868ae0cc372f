-- Events per unit of level %(level)s (and per category when %(by_category)s, else category
-- ''), summed from the event_daily rollup of the communities each unit contains. Units
-- without events have no row here.
WITH member AS ({member}),
daily AS ({daily})
SELECT m.unit_code,
       CASE WHEN %(by_category)s THEN d.category ELSE '' END AS category,
       sum(d.n)::bigint AS n
FROM daily AS d
JOIN member AS m ON m.community_code = d.community_code
WHERE m.unit_code IS NOT NULL
GROUP BY 1, 2

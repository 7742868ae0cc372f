-- Events of unit %(code)s (level %(level)s) per period of %(interval)s ('day', 'week' or
-- 'month'; weeks start on Monday), zero-filled over [lo, hi): the filter's dates, or where
-- either is open, the first day with a matching event and the day after the last one.
-- days: how many days of the period lie inside [lo, hi) (the first and last may be partial).
WITH member AS ({member}),
daily AS ({daily}),
unit_daily AS (
    SELECT d.day, sum(d.n) AS n
    FROM daily AS d
    JOIN member AS m ON m.community_code = d.community_code
    WHERE m.unit_code = %(code)s
    GROUP BY d.day
    HAVING sum(d.n) > 0  -- a status change can leave a rollup row at 0: not an event day
),
bounds AS (
    SELECT coalesce(%(date_from)s::date, min(day)) AS lo,
           coalesce(%(date_to)s::date, max(day) + 1) AS hi
    FROM unit_daily
),
periods AS (
    SELECT p::date AS period_start, (p + %(step)s::interval)::date AS period_end
    FROM bounds AS b,
         generate_series(date_trunc(%(interval)s, b.lo::timestamp),
                         b.hi::timestamp - interval '1 day',
                         %(step)s::interval) AS p
    WHERE b.lo < b.hi
)
SELECT p.period_start,
       coalesce(sum(u.n), 0)::bigint AS n,
       least(p.period_end, b.hi) - greatest(p.period_start, b.lo) AS days
FROM periods AS p
CROSS JOIN bounds AS b
LEFT JOIN unit_daily AS u
       ON u.day >= greatest(p.period_start, b.lo) AND u.day < least(p.period_end, b.hi)
GROUP BY p.period_start, p.period_end, b.lo, b.hi
ORDER BY p.period_start

-- Fragment "event_filter": the events (alias e) a StatsFilter selects, as stats_daily.sql
-- selects its rollup rows: a NULL parameter means no restriction; days of the city's zone
-- %(city_tz)s, half-open [date_from, date_to); overdue (migration 0012) judged against
-- %(now)s, the service's clock (as event lists), an unknown deadline counting as not overdue.
(%(categories)s::text[] IS NULL OR e.category = ANY (%(categories)s::text[]))
AND (%(status)s::text[] IS NULL OR e.status = ANY (%(status)s::text[]))
AND (%(urgency)s::text[] IS NULL OR e.urgency = ANY (%(urgency)s::text[]))
AND (%(source)s::text[] IS NULL OR e.source = ANY (%(source)s::text[]))
AND (%(date_from)s::date IS NULL
     OR e.occurred_at >= (%(date_from)s::date)::timestamp AT TIME ZONE %(city_tz)s)
AND (%(date_to)s::date IS NULL
     OR e.occurred_at < (%(date_to)s::date)::timestamp AT TIME ZONE %(city_tz)s)
AND (%(overdue)s::boolean IS NULL
     OR coalesce(event_overdue(e.status, e.accept_due_at, e.resolve_due_at,
                               %(now)s::timestamptz),
                 false) = %(overdue)s::boolean)

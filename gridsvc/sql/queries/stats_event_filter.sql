-- Fragment "event_filter": the events (alias e) a StatsFilter selects, as stats_daily.sql
-- selects its rollup rows: a NULL parameter means no restriction; Beijing days, half-open
-- [date_from, date_to); overdue judged against %(now)s, the service's clock (as event lists).
(%(categories)s::text[] IS NULL OR e.category = ANY (%(categories)s::text[]))
AND (%(status)s::text[] IS NULL OR e.status = ANY (%(status)s::text[]))
AND (%(urgency)s::text[] IS NULL OR e.urgency = ANY (%(urgency)s::text[]))
AND (%(source)s::text[] IS NULL OR e.source = ANY (%(source)s::text[]))
AND (%(date_from)s::date IS NULL
     OR e.occurred_at >= (%(date_from)s::date)::timestamp AT TIME ZONE 'Asia/Shanghai')
AND (%(date_to)s::date IS NULL
     OR e.occurred_at < (%(date_to)s::date)::timestamp AT TIME ZONE 'Asia/Shanghai')
AND (%(overdue)s::boolean IS NULL
     OR coalesce((e.status = 'reported' AND e.accept_due_at < %(now)s::timestamptz)
                 OR (e.status IN ('dispatched', 'in_progress') AND e.resolve_due_at < %(now)s::timestamptz),
                 false) = %(overdue)s::boolean)

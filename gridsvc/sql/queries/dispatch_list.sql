SELECT department_code, state, due_at, note, responded_at,
       state IN ('pending', 'in_progress') AND due_at < %(now)s AS overdue
FROM dispatch WHERE event_id = %(event_id)s ORDER BY id

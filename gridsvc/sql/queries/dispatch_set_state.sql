UPDATE dispatch
SET state = %(state)s, note = coalesce(%(note)s, note),
    media = CASE WHEN %(state)s = 'resolved' THEN %(media)s::jsonb ELSE media END,
    responded_at = CASE WHEN %(state)s = 'resolved' THEN now() ELSE responded_at END
WHERE event_id = %(event_id)s AND department_code = %(department)s
  AND state IN ('pending', 'in_progress')

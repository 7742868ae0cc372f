SELECT id, action, from_status, to_status, actor, role, note, data, at
FROM event_action WHERE event_id = %(event_id)s ORDER BY id

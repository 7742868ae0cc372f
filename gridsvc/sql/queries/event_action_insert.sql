INSERT INTO event_action (event_id, action, from_status, to_status, actor, role, note, data)
VALUES (%(event_id)s, %(action)s, %(from_status)s, %(to_status)s, %(actor)s, %(role)s,
        %(note)s, %(data)s::jsonb)

-- community_code: the event's, as stored ('' outside every grid); with event_id it is the
-- foreign key to event (community_code, id).
INSERT INTO event_action (community_code, event_id, action, from_status, to_status, actor,
                          role, note, data)
VALUES (%(community_code)s, %(event_id)s, %(action)s, %(from_status)s, %(to_status)s,
        %(actor)s, %(role)s, %(note)s, %(data)s::jsonb)

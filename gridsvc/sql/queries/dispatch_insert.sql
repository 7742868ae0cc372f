-- community_code: the event's, as stored ('' outside every grid); with event_id it is the
-- foreign key to event (community_code, id).
INSERT INTO dispatch (community_code, event_id, department_code, due_at)
VALUES (%(community_code)s, %(event_id)s, %(department)s, %(due_at)s)

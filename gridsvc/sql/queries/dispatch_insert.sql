INSERT INTO dispatch (event_id, department_code, due_at)
VALUES (%(event_id)s, %(department)s, %(due_at)s)

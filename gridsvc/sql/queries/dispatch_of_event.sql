SELECT department_code, state FROM dispatch WHERE event_id = %(event_id)s

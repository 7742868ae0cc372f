SELECT status FROM event WHERE id = %(id)s

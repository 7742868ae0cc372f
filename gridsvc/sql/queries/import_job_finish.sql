UPDATE import_job
SET status = %(status)s, message = %(message)s, finished_at = now(),
    rows_read = %(rows_read)s, stored = %(stored)s, already_stored = %(already_stored)s,
    rejected = %(rejected)s
WHERE id = %(id)s
RETURNING id

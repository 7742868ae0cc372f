UPDATE import_job
SET rows_read = %(rows_read)s, stored = %(stored)s, already_stored = %(already_stored)s,
    rejected = %(rejected)s
WHERE id = %(id)s

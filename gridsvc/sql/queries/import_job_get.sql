SELECT id, filename, format, source, crs, status, rows_read, stored, already_stored,
       rejected, message, started_at, finished_at
FROM import_job WHERE id = %(id)s

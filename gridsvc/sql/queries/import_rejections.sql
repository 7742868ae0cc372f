SELECT row_number, field, reason, value FROM import_rejection
WHERE import_id = %(id)s ORDER BY row_number

SELECT row_number, field, reason, value, hint, message_id FROM import_rejection
WHERE import_id = %(id)s ORDER BY row_number

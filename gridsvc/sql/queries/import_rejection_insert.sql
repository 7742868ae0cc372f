INSERT INTO import_rejection (import_id, row_number, field, message_id, reason, hint, value)
VALUES %s
ON CONFLICT (import_id, row_number) DO NOTHING

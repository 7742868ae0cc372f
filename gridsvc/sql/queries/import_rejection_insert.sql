INSERT INTO import_rejection (import_id, row_number, field, reason, value) VALUES %s
ON CONFLICT (import_id, row_number) DO NOTHING

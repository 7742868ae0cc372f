SELECT id, content_sha256 FROM event
WHERE reporter_id = %(reporter_id)s AND client_event_id = %(client_event_id)s

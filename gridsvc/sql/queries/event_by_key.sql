-- The stored event of a key and the digest of the report it was stored from (hex, as
-- gridsvc.events.rows.content_hash writes it): replay or conflict.
SELECT event_id, encode(content_sha256, 'hex') FROM event_key
WHERE reporter_id = %(reporter_id)s AND client_event_id = %(client_event_id)s

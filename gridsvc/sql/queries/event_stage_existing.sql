-- Staged rows whose (reporter_id, client_event_id) is another event's: a re-run of a file, an
-- event also sent by the app, or an id used twice in one file. Read after the batch's insert
-- (event_insert_stage.sql), which left these rows out: a stored row's key has its own
-- event_id. The event is reached by its primary key (id, community_code), which event_key
-- keeps.
SELECT s.row_number, s.client_event_id, k.event_id,
       k.content_sha256 = decode(s.content_sha256, 'hex') AS same,
       e.import_id IS NOT DISTINCT FROM %(import_id)s AS same_import
FROM event_stage AS s
JOIN event_key AS k ON k.reporter_id = s.reporter_id AND k.client_event_id = s.client_event_id
LEFT JOIN event AS e ON e.community_code = k.community_code AND e.id = k.event_id
WHERE k.event_id <> s.event_id

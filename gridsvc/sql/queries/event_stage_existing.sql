-- Staged rows whose (reporter_id, client_event_id) is stored already: a re-run of a file, an
-- event also sent by the app, or an id used twice in one file.
SELECT s.row_number, s.client_event_id, e.id, e.content_sha256 = s.content_sha256 AS same,
       e.import_id IS NOT DISTINCT FROM %(import_id)s AS same_import
FROM event_stage AS s
JOIN event AS e ON e.reporter_id = s.reporter_id AND e.client_event_id = s.client_event_id

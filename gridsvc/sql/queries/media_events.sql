-- Events whose media list names the file's URL (index event_media); a scope condition on
-- ``e`` may follow with AND.
SELECT e.id
FROM event AS e
WHERE e.media <> '[]'::jsonb AND e.media @> %(url_list)s::jsonb

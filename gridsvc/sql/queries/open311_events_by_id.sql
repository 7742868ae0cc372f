-- Appended to store.event_select() (gridsvc.events.columns' SELECT, FROM event AS e): the
-- events of a GET requests.json?service_request_id=… list, newest first (gridsvc.open311); the caller's
-- rights are checked before, with store.visible_ids.
WHERE e.id = ANY(%(ids)s)
ORDER BY e.id DESC

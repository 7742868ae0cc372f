-- Each staged row's number and the event id it took.
SELECT s.event_id, s.row_number FROM event_stage AS s

-- The events stored from event_stage in this transaction (the staged rows whose key went
-- in), reached by their primary key (id, community_code): the columns of every event read
-- (gridsvc.events.columns.SELECT, filled in below), then the number of the row each was
-- staged from.
{event_columns}, s.row_number
FROM event_stage AS s
JOIN event AS e ON e.community_code = coalesce(s.community_code, '') AND e.id = s.event_id

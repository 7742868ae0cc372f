-- Appended to store.event_select(): the events stored from event_stage in this transaction
-- (the staged rows whose key went in), by their primary key (id, community_code).
WHERE (e.community_code, e.id) IN (SELECT coalesce(s.community_code, ''), s.event_id
                                   FROM event_stage AS s)

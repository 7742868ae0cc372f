-- Appended to store.event_select() (columns.SELECT FROM event AS e): the event of
-- (reporter_id, client_event_id), found by the primary key (id, community_code) that
-- event_key holds for it (under Citus, one shard), in the same snapshot as the key, so a
-- reassignment committing in between cannot make it miss.
WHERE (e.community_code, e.id) = (SELECT k.community_code, k.event_id
                                  FROM event_key AS k
                                  WHERE k.reporter_id = %(reporter_id)s
                                    AND k.client_event_id = %(client_event_id)s)

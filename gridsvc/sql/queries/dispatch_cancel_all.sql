UPDATE dispatch SET state = 'cancelled' WHERE event_id = %(event_id)s
  AND state IN ('pending', 'in_progress')

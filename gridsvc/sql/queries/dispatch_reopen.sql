-- A failed verification sends the work back to every department, with a new deadline.
UPDATE dispatch SET state = 'pending', responded_at = NULL, due_at = %(due_at)s
WHERE event_id = %(event_id)s AND state <> 'cancelled';
UPDATE event SET resolve_due_at = %(due_at)s WHERE id = %(event_id)s;

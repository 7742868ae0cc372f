UPDATE event SET resolve_due_at = %(due_at)s WHERE id = %(id)s

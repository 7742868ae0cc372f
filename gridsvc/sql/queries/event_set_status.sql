UPDATE event
SET status = %(status)s, row_version = row_version + 1, updated_at = now(),
    merged_into = coalesce(%(merged_into)s, merged_into)
WHERE id = %(id)s

INSERT INTO map_embed (kind, title, params, min_count, page, created_by, created_at, expires_at)
VALUES (%(kind)s, %(title)s, %(params)s, %(min_count)s, %(page)s, %(created_by)s,
        %(created_at)s, %(expires_at)s)
RETURNING id

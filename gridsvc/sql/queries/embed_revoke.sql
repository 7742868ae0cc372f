UPDATE map_embed SET revoked_at = %(at)s
WHERE id = %(id)s AND revoked_at IS NULL
RETURNING id

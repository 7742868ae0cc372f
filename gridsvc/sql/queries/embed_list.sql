-- Every embed, newest first, without its page.
SELECT id, kind, title, params, min_count, created_by, created_at, expires_at, revoked_at
FROM map_embed
ORDER BY created_at DESC, id DESC

-- What the public link of embed %(id)s needs: its expiry, revocation and frozen page.
SELECT expires_at, revoked_at, page, title FROM map_embed WHERE id = %(id)s

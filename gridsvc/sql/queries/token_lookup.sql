-- An active token by its hash; marks it used (at most once a minute, to spare writes).
WITH t AS (
    SELECT id, name, role, scope_code, department_code, token_sha256
    FROM api_token WHERE token_sha256 = %(token_sha256)s AND revoked_at IS NULL
), touch AS (
    UPDATE api_token SET last_used_at = now()
    WHERE id IN (SELECT id FROM t)
      AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
)
SELECT id, name, role, scope_code, department_code, token_sha256 FROM t

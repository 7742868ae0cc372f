-- The live session of a cookie with its user's rights; nothing for an expired session or a
-- disabled user.
SELECT u.id, u.username, u.display_name, u.role, u.scope_code, u.department_code,
       s.csrf_token, s.expires_at, s.id_sha256
FROM user_session s JOIN app_user u ON u.id = s.user_id
WHERE s.id_sha256 = %(id_sha256)s AND s.expires_at > now() AND u.disabled_at IS NULL

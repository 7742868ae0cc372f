-- A new session at sign-in; the sessions of the account that have expired go at the same time.
WITH old AS (
    DELETE FROM user_session WHERE user_id = %(user_id)s AND expires_at <= now()
)
INSERT INTO user_session (id_sha256, user_id, csrf_token, expires_at)
VALUES (%(id_sha256)s, %(user_id)s, %(csrf_token)s, now() + make_interval(secs => %(ttl_s)s))
RETURNING expires_at

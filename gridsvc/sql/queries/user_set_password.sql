-- A new password ends every session of the account and lifts a lock.
WITH u AS (
    UPDATE app_user SET password_hash = %(password_hash)s, failed_logins = 0, locked_until = NULL
    WHERE username = %(username)s RETURNING id
), gone AS (
    DELETE FROM user_session WHERE user_id IN (SELECT id FROM u)
)
SELECT id FROM u

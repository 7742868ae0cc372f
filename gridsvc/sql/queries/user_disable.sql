WITH u AS (
    UPDATE app_user SET disabled_at = coalesce(disabled_at, now())
    WHERE username = %(username)s RETURNING id
), gone AS (
    DELETE FROM user_session WHERE user_id IN (SELECT id FROM u)
)
SELECT id FROM u

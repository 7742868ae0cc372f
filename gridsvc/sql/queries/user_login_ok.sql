UPDATE app_user SET failed_logins = 0, locked_until = NULL, last_login_at = now(),
    password_hash = coalesce(%(rehash)s, password_hash)
WHERE id = %(id)s

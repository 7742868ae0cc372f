-- The account a sign-in names, locked for the attempt (two attempts at once count twice).
SELECT id, password_hash, disabled_at IS NOT NULL, locked_until > now(), locked_until
FROM app_user WHERE username = %(username)s
FOR UPDATE

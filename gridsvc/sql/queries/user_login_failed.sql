-- One more failure in a row; at the limit the account locks for a while and the count restarts.
UPDATE app_user SET
    failed_logins = CASE WHEN failed_logins + 1 >= %(max_failures)s THEN 0 ELSE failed_logins + 1 END,
    locked_until = CASE WHEN failed_logins + 1 >= %(max_failures)s
                        THEN now() + make_interval(secs => %(lock_s)s) ELSE locked_until END
WHERE id = %(id)s
RETURNING locked_until > now()

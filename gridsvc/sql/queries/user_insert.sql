INSERT INTO app_user (username, display_name, role, scope_code, department_code, password_hash)
VALUES (%(username)s, %(display_name)s, %(role)s, %(scope_code)s, %(department_code)s,
        %(password_hash)s)
ON CONFLICT (username) DO NOTHING
RETURNING id

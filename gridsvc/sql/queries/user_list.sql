SELECT id, username, display_name, role, scope_code, department_code, created_at,
       disabled_at, locked_until, last_login_at
FROM app_user ORDER BY id

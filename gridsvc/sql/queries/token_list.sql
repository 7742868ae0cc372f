SELECT id, name, role, scope_code, department_code, created_at, revoked_at, last_used_at
FROM api_token ORDER BY id

INSERT INTO api_token (name, role, scope_code, department_code, token_sha256)
VALUES (%(name)s, %(role)s, %(scope_code)s, %(department_code)s, %(token_sha256)s)
RETURNING id

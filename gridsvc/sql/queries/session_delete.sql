DELETE FROM user_session WHERE id_sha256 = %(id_sha256)s

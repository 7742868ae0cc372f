UPDATE grid_version SET active = (id = %(version_id)s) WHERE active OR id = %(version_id)s

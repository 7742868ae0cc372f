-- The level of unit %(code)s in grid version %(version_id)s (no row: no such unit).
SELECT u.level FROM grid_unit AS u WHERE u.version_id = %(version_id)s AND u.code = %(code)s

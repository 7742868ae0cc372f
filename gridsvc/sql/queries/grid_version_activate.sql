-- Two steps: the unique index on the active flag is checked row by row.
UPDATE grid_version SET active = false WHERE active AND id <> %(version_id)s;
UPDATE grid_version SET active = true WHERE id = %(version_id)s;

-- One activation at a time (the unique index on the active flag is checked row by row, so
-- two concurrent activations would otherwise collide), then two steps.
SELECT pg_advisory_xact_lock(1735289188);
UPDATE grid_version SET active = false WHERE active AND id <> %(version_id)s;
UPDATE grid_version SET active = true WHERE id = %(version_id)s;

INSERT INTO grid_version (name, synthetic, source, notes)
VALUES (%(name)s, %(synthetic)s, %(source)s, %(notes)s)
RETURNING id

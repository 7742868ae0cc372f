INSERT INTO import_job (file_sha256, filename, format, source, crs, synthetic)
VALUES (%(sha)s, %(filename)s, %(format)s, %(source)s, %(crs)s, %(synthetic)s)
RETURNING id

-- Store a file once (by its SHA-256) and note who sent it; one statement. Returns whether
-- the file's row was new. (The foreign key of media_upload is checked at the statement's
-- end, when the row of a new file exists.)
WITH stored AS (
    INSERT INTO media (id, content_type, width_px, height_px, size_bytes, data)
    VALUES (%(id)s, %(content_type)s, %(width_px)s, %(height_px)s, %(size_bytes)s, %(data)s)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
), sender AS (
    INSERT INTO media_upload (media_id, uploader)
    VALUES (%(id)s, %(uploader)s)
    ON CONFLICT (media_id, uploader) DO NOTHING
)
SELECT EXISTS (SELECT 1 FROM stored)

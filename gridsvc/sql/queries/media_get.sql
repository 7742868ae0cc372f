-- One stored file and whether ``uploader`` sent it.
SELECT m.content_type, m.width_px, m.height_px, m.size_bytes, m.data,
       EXISTS (
           SELECT 1 FROM media_upload AS u WHERE u.media_id = m.id AND u.uploader = %(uploader)s
       ) AS sent_by_caller
FROM media AS m
WHERE m.id = %(id)s

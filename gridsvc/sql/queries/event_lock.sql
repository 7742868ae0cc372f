-- community_code as stored ('' outside every grid): the key dispatch and event_action rows
-- carry with event_id.
SELECT id, status, row_version, category, urgency, source, community_code, street_code,
       sector_code, district_code, occurred_at
FROM event WHERE id = %(id)s
FOR UPDATE

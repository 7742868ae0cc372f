SELECT id, status, row_version, category, urgency, source, community_code, street_code,
       sector_code, district_code, occurred_at
FROM event WHERE id = %(id)s
FOR UPDATE

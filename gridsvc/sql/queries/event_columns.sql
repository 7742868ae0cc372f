-- The columns every event read returns, of the events aliased e: followed by
-- "FROM event AS e" and a WHERE clause built from fixed parts (gridsvc.events.store), or, in
-- event_report.sql, by the row a report just inserted, or, in event_staged.sql, by more
-- columns and the join of the staged reports to their events.
-- An event outside every grid is stored under community '' (a key column) and shown as NULL.
SELECT e.id, e.client_event_id, e.reporter_id, e.category, e.title, e.description,
       e.occurred_at, e.reported_at, e.received_at, e.source, e.urgency, e.status,
       ST_X(e.geom) AS lon_wgs84, ST_Y(e.geom) AS lat_wgs84, e.lon_sent, e.lat_sent,
       e.crs_sent, e.accuracy_m, e.address, e.media, e.attributes, e.grid_version_id,
       NULLIF(e.community_code, '') AS community_code, e.street_code, e.sector_code,
       e.district_code, e.grid_code, e.snapped, e.near_boundary, e.row_version, e.import_id,
       e.accept_due_at, e.resolve_due_at, e.merged_into,
       (e.status = 'reported' AND e.accept_due_at < %(now)s)
        OR (e.status IN ('dispatched', 'in_progress') AND e.resolve_due_at < %(now)s)
        AS overdue,
       coalesce((SELECT j.synthetic FROM import_job AS j WHERE j.id = e.import_id), false)
        AS synthetic

-- What an Open311 service request shows beyond the event's own columns (gridsvc.open311),
-- for the events %(ids)s: when the event last changed, the note of its last history entry
-- (status_notes) and the names of the departments it is dispatched to, cancelled
-- dispatches left out (agency_responsible). History and dispatches are joined on the
-- distribution key too (co-located under Citus, docs/scaling.md).
SELECT e.id,
       e.updated_at,
       (SELECT a.note
          FROM event_action AS a
         WHERE a.community_code = e.community_code AND a.event_id = e.id
         ORDER BY a.id DESC
         LIMIT 1) AS last_note,
       (SELECT array_agg(d.name_zh ORDER BY p.id)
          FROM dispatch AS p
          JOIN department AS d ON d.code = p.department_code
         WHERE p.community_code = e.community_code AND p.event_id = e.id
           AND p.state <> 'cancelled') AS departments
FROM event AS e
WHERE e.id = ANY(%(ids)s)

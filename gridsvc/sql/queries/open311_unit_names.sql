-- Names of grid units by code, in the grid versions the events were assigned with
-- (gridsvc.open311's extended attributes); a version's units are never edited.
SELECT version_id, code, name
FROM grid_unit
WHERE version_id = ANY(%(versions)s) AND code = ANY(%(codes)s)

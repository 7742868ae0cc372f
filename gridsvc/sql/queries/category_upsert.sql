-- Store a whole taxonomy: upsert every category it has, deactivate every stored category it
-- lacks (never delete: stored events keep their codes). One parameter, categories: a JSON
-- array of objects with the keys of the column list below.
--
-- One statement rather than execute_values: execute_values splits long lists into pages, and
-- each page would deactivate the categories of the others. The final UPDATE only touches rows
-- whose codes are not incoming, so it never meets a row the INSERT changed.
WITH incoming AS (
    SELECT *
    FROM jsonb_to_recordset(%(categories)s::jsonb) AS c (
        code            text,
        parent_code     text,
        name_zh         text,
        name_en         text,
        default_urgency text,
        sensitive       boolean,
        fields          jsonb,
        time_limits     jsonb,
        dedupe_radius_m double precision,
        dedupe_window_h double precision,
        sort_order      integer
    )
), upserted AS (
    INSERT INTO category (code, parent_code, name_zh, name_en, default_urgency, sensitive,
                          fields, time_limits, dedupe_radius_m, dedupe_window_h, sort_order,
                          active)
    SELECT code, parent_code, name_zh, name_en, default_urgency, sensitive, fields,
           time_limits, dedupe_radius_m, dedupe_window_h, sort_order, true
    FROM incoming
    ON CONFLICT (code) DO UPDATE SET
        parent_code     = EXCLUDED.parent_code,
        name_zh         = EXCLUDED.name_zh,
        name_en         = EXCLUDED.name_en,
        default_urgency = EXCLUDED.default_urgency,
        sensitive       = EXCLUDED.sensitive,
        fields          = EXCLUDED.fields,
        time_limits     = EXCLUDED.time_limits,
        dedupe_radius_m = EXCLUDED.dedupe_radius_m,
        dedupe_window_h = EXCLUDED.dedupe_window_h,
        sort_order      = EXCLUDED.sort_order,
        active          = true
)
UPDATE category
SET active = false
WHERE active AND code NOT IN (SELECT code FROM incoming)
RETURNING code

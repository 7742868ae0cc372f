-- Every category (only the active ones unless include_inactive), in display order among
-- siblings; the caller puts each group before its leaves.
SELECT code, parent_code, name_zh, name_en, default_urgency, sensitive, fields, time_limits,
       dedupe_radius_m, dedupe_window_h, sort_order, active
FROM category
WHERE active OR %(include_inactive)s
ORDER BY sort_order, code

-- Rows 1f and 1b: their tables go once measured (disk, and the later rows' caches).
DROP TABLE IF EXISTS floor_event, floor_event_key, floor_daily, floor_status_count,
    floor_tile_bin, bare_event

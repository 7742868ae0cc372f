-- Empty every table an import writes, so each timed import starts from the same state.
TRUNCATE event, event_key, event_daily, event_status_count, event_tile_bin, import_rejection,
         import_job RESTART IDENTITY CASCADE

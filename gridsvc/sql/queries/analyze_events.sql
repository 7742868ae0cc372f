ANALYZE event, event_daily

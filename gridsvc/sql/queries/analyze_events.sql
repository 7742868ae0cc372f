ANALYZE event

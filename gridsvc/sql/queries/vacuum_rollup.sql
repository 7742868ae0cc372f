-- After a big import, on a connection of its own (VACUUM cannot run in a transaction): the
-- rollup's pages marked all-visible, so statistics read it by index alone, and its
-- statistics fresh. SKIP_LOCKED: if another vacuum holds the table, leave it to that one.
VACUUM (ANALYZE, SKIP_LOCKED) event_daily

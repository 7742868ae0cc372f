-- After a big import: the rollup's pages marked all-visible, so that the statistics read
-- it by index alone, and its statistics fresh. Not in a transaction (VACUUM cannot be).
VACUUM (ANALYZE) event_daily

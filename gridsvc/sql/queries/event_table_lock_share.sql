-- Hold off every writer of events until the caller's transaction ends (readers go on).
LOCK TABLE event IN SHARE MODE

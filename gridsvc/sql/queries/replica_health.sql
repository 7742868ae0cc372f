-- A read replica's health (gridsvc.db.replica.check), reading no table: whether it is a hot
-- standby, whether every WAL record it received is replayed (then it misses nothing the
-- primary sent, however long ago the last transaction was), and the seconds since the
-- commit of the last transaction it replayed (its lag while received WAL waits).
SELECT pg_is_in_recovery(),
       pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8

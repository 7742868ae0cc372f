-- Points staged for the in-database lookup (dropped with the transaction).
CREATE TEMPORARY TABLE bench_point (i integer, lon double precision, lat double precision)
    ON COMMIT DROP

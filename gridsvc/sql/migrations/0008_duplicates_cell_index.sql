-- Possible duplicates (event_nearby.sql) are the open events of one category within a radius
-- (30 m to 10 km) and a window (hours to days) of a report. Neither index could give just
-- those: event_open (category, occurred_at) gives the category's whole window, tens of
-- thousands of events at 10 million, and the GiST box every event ever reported there, of any
-- kind, status and year (~750 buffers per report at 5.4 million events, growing with the
-- data). This index puts a cell of the map between the category and the time: the query
-- reads, for each cell under the report's box, only the category's open events of the window
-- in that cell (docs/design.md, "Events").
--
-- A cell is 0.005 degrees of WGS-84 longitude and latitude (~470 x 555 m at Nanjing); a
-- 200 m circle's box covers at most 2 x 2 of them, a 1 km circle's ~25. event_cell numbers
-- the cell of a point: floor(lon / 0.005) * 100000 + floor(lat / 0.005), one number per cell
-- (|floor(lat / 0.005)| <= 18000 < 100000). event_cells lists every cell under the box of
-- half-width half_deg around a point. Both are immutable: the index stores their results, so
-- they never change in place; another cell size is new functions and a new index. A box is
-- not wrapped across longitude 180 (nor was the GiST box before it). event_cell is inlined
-- into the index and the query; event_cells is not (it has a subquery) and runs once per
-- report, ~12 us. It turns JIT off for itself: with JIT on (the server's default) its query
-- was compiled at every call, ~4 ms each. Like event's other non-unique indexes the index
-- leaves out the distribution key, which Citus asks only of unique ones (docs/scaling.md).
--
-- Locks: the build (~15 s per 5 million events) blocks writes to event, and the drop of
-- event_open blocks reads until the commit. On a live database build it first without
-- blocking, with the two functions and then CREATE INDEX CONCURRENTLY event_open_near ... as
-- below; this migration then keeps them (OR REPLACE with the same text, IF NOT EXISTS).

CREATE OR REPLACE FUNCTION event_cell(lon_wgs84 double precision, lat_wgs84 double precision)
    RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN floor(lon_wgs84 / 0.005)::bigint * 100000 + floor(lat_wgs84 / 0.005)::bigint;

CREATE OR REPLACE FUNCTION event_cells(lon_wgs84 double precision, lat_wgs84 double precision,
                                       half_deg double precision) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET jit = off
    RETURN ARRAY(
        SELECT x * 100000 + y
        FROM generate_series(floor((lon_wgs84 - half_deg) / 0.005)::bigint,
                             floor((lon_wgs84 + half_deg) / 0.005)::bigint) AS x,
             generate_series(floor((lat_wgs84 - half_deg) / 0.005)::bigint,
                             floor((lat_wgs84 + half_deg) / 0.005)::bigint) AS y
        ORDER BY 1);

CREATE INDEX IF NOT EXISTS event_open_near
    ON event (category, event_cell(ST_X(geom), ST_Y(geom)), occurred_at)
    WHERE status NOT IN ('closed', 'rejected', 'merged');
ANALYZE event;
-- Same rows as event_open (open events only); the duplicates query was its only reader (event
-- lists filter status by a list of values and page by id).
DROP INDEX IF EXISTS event_open;

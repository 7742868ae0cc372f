-- Possible duplicates (event_nearby.sql) are the open events of one category within a radius
-- (30 m to 10 km) and a window (hours to days) of a report. Neither index could give just
-- those: event_open (category, occurred_at) gives the category's whole window, tens of
-- thousands of events at 10 million, and the GiST box every event ever reported there, of any
-- kind, status and year (~750 heap pages per report at 5.4 million events, growing with the
-- data). This index puts a cell of the map between the category and the time: the query
-- reads, for each cell under the report's box, only the category's open events of the window
-- in that cell (docs/design.md, "Events").
--
-- A cell is 0.005 degrees square (~470 x 555 m at Nanjing's latitude); a 200 m circle's box
-- covers at most 2 x 2 of them. event_cell numbers the cell of a point, event_cells every cell
-- under a box (a half-width in degrees) around a point. Both are immutable: the index stores
-- their results, so they never change in place; another cell size is new functions and a new
-- index. Like event's other non-unique indexes it leaves out the distribution key, which Citus
-- asks only of unique ones (docs/scaling.md). event_cell is inlined into the index and the
-- query; event_cells is not (it has a subquery) and runs once per report, ~12 us. It turns
-- JIT off for itself: with JIT on (the server's default) its query was compiled at every call,
-- ~4 ms each.

CREATE FUNCTION event_cell(lon double precision, lat double precision) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN floor(lon / 0.005)::bigint * 100000 + floor(lat / 0.005)::bigint;

CREATE FUNCTION event_cells(lon double precision, lat double precision,
                            half_deg double precision) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET jit = off
    RETURN ARRAY(
        SELECT x * 100000 + y
        FROM generate_series(floor((lon - half_deg) / 0.005)::bigint,
                             floor((lon + half_deg) / 0.005)::bigint) AS x,
             generate_series(floor((lat - half_deg) / 0.005)::bigint,
                             floor((lat + half_deg) / 0.005)::bigint) AS y
        ORDER BY 1);

-- Same rows as event_open (open events only), which only the duplicates query read: it goes.
CREATE INDEX event_open_near
    ON event (category, event_cell(ST_X(geom), ST_Y(geom)), occurred_at)
    WHERE status NOT IN ('closed', 'rejected', 'merged');
DROP INDEX IF EXISTS event_open;
ANALYZE event;

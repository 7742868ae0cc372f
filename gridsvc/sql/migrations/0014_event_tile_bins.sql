-- Events counted per bin of the events vector tiles of zoom 15 (gridsvc.vtiles), from which
-- the bins of the tiles of zooms 12-15 are summed: a dense tile of a large table is read as
-- at most 256 (zoom 15) to 16,384 (zoom 12) rows per kind instead of every event in it (a
-- zoom 12 tile of the old city holds over a million events at 10 million).
--
-- A bin is 1/16 of a tile's side: bin (i, j) of tile z/x/y holds the events whose Web
-- Mercator position falls in column 16x + i, row 16y + j of the world's lattice of 2^(z+4)
-- squares (tile_bin_column / tile_bin_row below: the same functions make the bins of tiles
-- read from the events themselves, so both ways give the same bins). A zoom 15 bin lies in
-- exactly one bin of each lower zoom (its column shifted right by 15 - z bits), so one row
-- per zoom 15 bin serves zooms 12-15 (KEPT_BIN_ZOOMS in gridsvc.vtiles): about 0.15 rows per
-- event at 10 million (1.45 million occupied bins, measured on the generator's points).
--
-- kind: 0 an event of a category that is not sensitive, at its position; 1 an event of a
-- sensitive category at its position (what everyone but analysts sees); 2 the same event at
-- its position rounded to 0.01° (what analysts see, gridsvc.events.store.redact). n counts
-- the events, sx and sy sum their Mercator x and y (a bin is drawn at the mean position).
--
-- Kept exact by the statements that store events, in the same statement, after the
-- event_daily and event_status_count rows, in key order (event_report.sql,
-- event_insert_stage.sql; events are never deleted and never move); and when a category's
-- sensitive flag changes, by event_tile_bin_resensitize.sql in the taxonomy's transaction.
-- No row holds the category or the status: only a tile of every event a caller may see is
-- read from here (filtered tiles read their events).
CREATE FUNCTION merc_x(lon double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 6378137.0 * radians(lon);

CREATE FUNCTION merc_y(lat double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 6378137.0 * ln(tan(pi() / 4 + radians(lat) / 2));

-- the lattice of zoom z's bins: 16 per tile side, numbered from the west and the north edge
-- of the Web Mercator world (half a side is 20037508.342789244 m)
CREATE FUNCTION tile_bin_column(mx double precision, z integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN floor((mx + 20037508.342789244::float8)
                 / (40075016.685578488::float8 / 2.0::float8 ^ (z + 4)))::bigint;

CREATE FUNCTION tile_bin_row(my double precision, z integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN floor((20037508.342789244::float8 - my)
                 / (40075016.685578488::float8 / 2.0::float8 ^ (z + 4)))::bigint;

-- The rows one event adds: its bin of zoom 15 at its position (kind 0 or 1) and, for a
-- sensitive category, at its rounded position (kind 2). x, y: the zoom 15 tile; i, j: the
-- bin in it (0-15), so that the bin's column on zoom 15's lattice is 16x + i.
CREATE FUNCTION event_tile_cells(lon double precision, lat double precision,
                                 sensitive boolean)
    RETURNS TABLE (x integer, y integer, i smallint, j smallint, kind smallint,
                   mx double precision, my double precision)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT (c.col >> 4)::integer, (c.rw >> 4)::integer, (c.col & 15)::smallint,
           (c.rw & 15)::smallint, p.kind::smallint, p.mx, p.my
    FROM (SELECT CASE WHEN sensitive THEN 1 ELSE 0 END AS kind,
                 merc_x(lon) AS mx, merc_y(lat) AS my
          UNION ALL
          SELECT 2, merc_x(round(lon / 0.01) * 0.01), merc_y(round(lat / 0.01) * 0.01)
          WHERE sensitive) AS p
    CROSS JOIN LATERAL (SELECT tile_bin_column(p.mx, 15) AS col,
                               tile_bin_row(p.my, 15) AS rw) AS c
$$;

CREATE TABLE event_tile_bin (
    x     integer NOT NULL,
    y     integer NOT NULL,
    i     smallint NOT NULL,
    j     smallint NOT NULL,
    kind  smallint NOT NULL,
    n     bigint NOT NULL,
    sx    double precision NOT NULL,
    sy    double precision NOT NULL,
    PRIMARY KEY (x, y, i, j, kind)
);

-- no event may slip in between this count and the first writer of the new code
LOCK TABLE event IN SHARE MODE;

INSERT INTO event_tile_bin (x, y, i, j, kind, n, sx, sy)
SELECT c.x, c.y, c.i, c.j, c.kind, count(*), sum(c.mx), sum(c.my)
FROM event AS e
LEFT JOIN category AS k ON k.code = e.category
CROSS JOIN LATERAL event_tile_cells(ST_X(e.geom), ST_Y(e.geom), coalesce(k.sensitive, false))
    AS c
GROUP BY 1, 2, 3, 4, 5;

ANALYZE event_tile_bin;

-- The sensitive categories' events by position, for the tiles analysts see (they read those
-- events apart, in boxes widened by half a rounding step: vtile_events.sql). The predicate
-- lists the categories sensitive now; gridsvc.events.taxonomy_db.store_taxonomy builds the
-- index again when a taxonomy changes which ones are (event_sensitive_index.sql).
-- (built already if a taxonomy was stored by this code before the migration ran: built
-- again here, for the categories sensitive now)
DROP INDEX IF EXISTS event_sensitive_geom;
DO $$
BEGIN
    EXECUTE format(
        'CREATE INDEX event_sensitive_geom ON event USING gist (geom) '
        'WHERE category = ANY (%L::text[])',
        (SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM category WHERE sensitive));
END
$$;

-- Events as assigned to grids. Only the columns grid assignment needs are here; the events
-- issue adds the report fields (category, reporter, times, status...) in later migrations.
-- Codes are stored at every level so per-grid reads never join polygons, and the grid
-- version says which boundaries produced them (`gridsvc grids reassign` moves them).
CREATE TABLE event (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    geom            geometry(Point, 4326) NOT NULL,
    grid_version_id integer REFERENCES grid_version (id),
    community_code  text,
    street_code     text,
    sector_code     text,
    district_code   text,
    grid_code       text,
    snapped         boolean NOT NULL DEFAULT false,
    near_boundary   boolean NOT NULL DEFAULT false
);
CREATE INDEX event_geom ON event USING gist (geom);
CREATE INDEX event_community ON event (community_code);

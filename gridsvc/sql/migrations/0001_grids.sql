-- The grid hierarchy: versions of the grid set, their units at every level, and the
-- subdivided community/grid polygons that point lookups inside the database use.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE grid_version (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    synthetic   boolean     NOT NULL,
    source      text        NOT NULL,
    notes       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    active      boolean     NOT NULL DEFAULT false
);
-- At most one active version.
CREATE UNIQUE INDEX grid_version_one_active ON grid_version (active) WHERE active;

CREATE TABLE grid_unit (
    version_id  integer NOT NULL REFERENCES grid_version (id) ON DELETE CASCADE,
    code        text    NOT NULL,
    level       text    NOT NULL
        CHECK (level IN ('city', 'district', 'sector', 'street', 'community', 'grid')),
    name        text    NOT NULL,
    parent_code text,
    sector_code text,
    kind        text,
    synthetic   boolean NOT NULL,
    area_km2    double precision NOT NULL,
    population  integer,
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (version_id, code)
);
CREATE INDEX grid_unit_level ON grid_unit (version_id, level);
CREATE INDEX grid_unit_parent ON grid_unit (version_id, parent_code);
CREATE INDEX grid_unit_geom ON grid_unit USING gist (geom);

-- Community and grid polygons cut into pieces of at most 64 vertices: point-in-polygon
-- against small pieces is what makes lookups inside the database fast.
CREATE TABLE grid_unit_part (
    version_id  integer NOT NULL,
    code        text    NOT NULL,
    level       text    NOT NULL,
    geom        geometry(Polygon, 4326) NOT NULL,
    FOREIGN KEY (version_id, code) REFERENCES grid_unit (version_id, code) ON DELETE CASCADE
);
CREATE INDEX grid_unit_part_geom ON grid_unit_part USING gist (geom);
CREATE INDEX grid_unit_part_code ON grid_unit_part (version_id, code);

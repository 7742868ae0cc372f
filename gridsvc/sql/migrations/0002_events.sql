-- Events (incidents and hazard reports), their taxonomy, the per-day rollup that statistics
-- read, and bulk import jobs.
--
-- Citus-compatible by design (docs/scaling.md): no foreign keys from event to other tables
-- except reference tables (category, grid_version), the idempotency key lives in event itself
-- while the table is not partitioned.

CREATE TABLE category (
    code            text PRIMARY KEY,             -- stable, dotted: 'hazard.fire'
    parent_code     text,                         -- 'hazard' (NULL for a top-level group)
    name_zh         text NOT NULL,
    name_en         text NOT NULL,
    default_urgency text NOT NULL DEFAULT 'normal'
        CHECK (default_urgency IN ('normal', 'urgent', 'critical')),
    sensitive       boolean NOT NULL DEFAULT false, -- exact points hidden from other roles
    fields          jsonb NOT NULL DEFAULT '[]',  -- category-specific attribute definitions
    time_limits     jsonb NOT NULL DEFAULT '{}',  -- handling limits per urgency
    dedupe_radius_m double precision NOT NULL DEFAULT 100,
    dedupe_window_h double precision NOT NULL DEFAULT 72,
    active          boolean NOT NULL DEFAULT true,
    sort_order      integer NOT NULL DEFAULT 0
);

CREATE TABLE import_job (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_sha256   text NOT NULL,
    filename      text NOT NULL,
    format        text NOT NULL,
    source        text NOT NULL,
    crs           text NOT NULL,
    status        text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'finished', 'failed')),
    rows_read     bigint NOT NULL DEFAULT 0,
    stored        bigint NOT NULL DEFAULT 0,
    already_stored bigint NOT NULL DEFAULT 0,
    rejected      bigint NOT NULL DEFAULT 0,
    message       text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX import_job_sha ON import_job (file_sha256);

CREATE TABLE import_rejection (
    import_id   bigint NOT NULL REFERENCES import_job (id) ON DELETE CASCADE,
    row_number  bigint NOT NULL,                  -- 1 = first data row (after the header)
    field       text,
    reason      text NOT NULL,
    value       text,
    PRIMARY KEY (import_id, row_number)
);

CREATE TABLE event (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id     text NOT NULL,
    client_event_id text NOT NULL,
    content_sha256  text NOT NULL,                -- of the report as sent: replay vs conflict
    category        text NOT NULL,
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    occurred_at     timestamptz NOT NULL,
    reported_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    source          text NOT NULL CHECK (source IN
        ('grid_worker', 'public', 'hotline', 'video', 'inspection', 'superior', 'import')),
    urgency         text NOT NULL CHECK (urgency IN ('normal', 'urgent', 'critical')),
    status          text NOT NULL DEFAULT 'reported',
    geom            geometry(Point, 4326) NOT NULL,
    lon_sent        double precision NOT NULL,
    lat_sent        double precision NOT NULL,
    crs_sent        text NOT NULL,
    accuracy_m      real,
    address         text,
    media           jsonb NOT NULL DEFAULT '[]',
    attributes      jsonb NOT NULL DEFAULT '{}',
    grid_version_id integer REFERENCES grid_version (id),
    community_code  text,
    street_code     text,
    sector_code     text,
    district_code   text,
    grid_code       text,
    snapped         boolean NOT NULL DEFAULT false,
    near_boundary   boolean NOT NULL DEFAULT false,
    import_id       bigint,
    row_version     integer NOT NULL DEFAULT 1,
    CONSTRAINT event_idempotency UNIQUE (reporter_id, client_event_id)
);
CREATE INDEX event_geom ON event USING gist (geom);
CREATE INDEX event_occurred_brin ON event USING brin (occurred_at);
CREATE INDEX event_community_time ON event (community_code, occurred_at);
CREATE INDEX event_category_time ON event (category, occurred_at);
CREATE INDEX event_open ON event (category, occurred_at)
    WHERE status NOT IN ('closed', 'rejected', 'merged');

-- Counts per community, category, status, urgency, source and day (Asia/Shanghai), kept
-- exact in the same transaction as every write to event. Higher levels are sums over
-- communities; every statistics filter but the time of day and bbox is a key column.
CREATE TABLE event_daily (
    community_code text NOT NULL,                 -- '' for events outside every grid
    category       text NOT NULL,
    status         text NOT NULL,
    urgency        text NOT NULL,
    source         text NOT NULL,
    day            date NOT NULL,
    n              bigint NOT NULL,
    PRIMARY KEY (community_code, category, status, urgency, source, day)
);
CREATE INDEX event_daily_day ON event_daily (day, category);

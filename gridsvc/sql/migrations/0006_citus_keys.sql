-- Keys that let event, event_daily, dispatch and event_action be distributed by
-- community_code (Citus, docs/scaling.md step 2): the distribution column in every primary
-- key and unique index of those tables, and no foreign key between them without it.
--
-- What it does to existing data: events outside every grid get community_code '' (as
-- event_daily already counts them); the idempotency key and the content digest move from
-- event to event_key (the digest as 32 bytes instead of 64 hex characters); dispatch and
-- event_action copy the community of their event. event is rewritten once (CLUSTER, in id
-- order, as it was stored) so the dropped digest column frees its space at once; every index
-- of event is rebuilt.

-- 1. '' is "outside every grid", as in event_daily: a primary key column cannot be NULL.
UPDATE event SET community_code = '' WHERE community_code IS NULL;
ALTER TABLE event ALTER COLUMN community_code SET NOT NULL;

-- 2. The idempotency key, in a table of its own: under Citus it is distributed by reporter_id
-- (a retry comes from the same reporter), which event is not. Written in the same statement
-- as the event: the key first (ON CONFLICT DO NOTHING), the event only if the key went in.
-- community_code follows the event (reassign updates it), so a replay reads its event by
-- event's primary key: one shard under Citus. event_id first: no alignment padding.
-- The primary key is added after the copy: one sorted build instead of a million inserts.
CREATE TABLE event_key (
    event_id        bigint NOT NULL,
    reporter_id     text   NOT NULL,
    client_event_id text   NOT NULL,
    community_code  text   NOT NULL,
    -- of the report as sent (gridsvc.events.rows.content_hash): replay vs conflict
    content_sha256  bytea  NOT NULL CHECK (length(content_sha256) = 32)
);
INSERT INTO event_key (event_id, reporter_id, client_event_id, community_code, content_sha256)
SELECT id, reporter_id, client_event_id, community_code, decode(content_sha256, 'hex')
FROM event;
ALTER TABLE event_key ADD PRIMARY KEY (reporter_id, client_event_id);

-- 3. The foreign keys into event (id) go; they come back with community_code (step 5).
ALTER TABLE dispatch DROP CONSTRAINT dispatch_event_id_fkey;
ALTER TABLE event_action DROP CONSTRAINT event_action_event_id_fkey;

-- 4. event: the key and the digest now live in event_key; the primary key gains the
-- distribution column, after id: lookups by id alone use it (no second index on id), and
-- new ids land at its right edge, so it stays compact (~41 B per event; (community_code, id)
-- took ~68 B plus ~23 B for a separate index on id). The foreign keys below reference
-- (community_code, id), which this key covers (same columns).
ALTER TABLE event DROP CONSTRAINT event_idempotency;
ALTER TABLE event DROP COLUMN content_sha256;
ALTER TABLE event DROP CONSTRAINT event_pkey;
ALTER TABLE event ADD CONSTRAINT event_pkey PRIMARY KEY (id, community_code);
CLUSTER event USING event_pkey;
ALTER TABLE event SET WITHOUT CLUSTER;

-- 5. dispatch and event_action carry their event's community, key on it and reference
-- event (community_code, id). ON UPDATE CASCADE: `gridsvc grids reassign` changes an
-- event's community with one UPDATE on one server (under Citus the distribution column
-- cannot change: reassign becomes delete and re-insert, docs/scaling.md).
ALTER TABLE dispatch ADD COLUMN community_code text;
UPDATE dispatch AS d SET community_code = e.community_code FROM event AS e WHERE e.id = d.event_id;
ALTER TABLE dispatch ALTER COLUMN community_code SET NOT NULL;
ALTER TABLE dispatch DROP CONSTRAINT dispatch_pkey;
ALTER TABLE dispatch ADD CONSTRAINT dispatch_pkey PRIMARY KEY (id, community_code);
ALTER TABLE dispatch ADD CONSTRAINT dispatch_event_fkey
    FOREIGN KEY (community_code, event_id) REFERENCES event (community_code, id)
    ON UPDATE CASCADE ON DELETE CASCADE;

-- The history stays append-only but follows its event to another community (the cascade of
-- a reassign): an UPDATE that changes nothing else is let through.
CREATE OR REPLACE FUNCTION event_action_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND to_jsonb(NEW) - 'community_code' = to_jsonb(OLD) - 'community_code' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'event_action is append-only';
END $$;
ALTER TABLE event_action ADD COLUMN community_code text;
ALTER TABLE event_action DISABLE TRIGGER event_action_no_update;  -- the one-time fill below
UPDATE event_action AS a SET community_code = e.community_code
FROM event AS e WHERE e.id = a.event_id;
ALTER TABLE event_action ENABLE TRIGGER event_action_no_update;
ALTER TABLE event_action ALTER COLUMN community_code SET NOT NULL;
ALTER TABLE event_action DROP CONSTRAINT event_action_pkey;
ALTER TABLE event_action ADD CONSTRAINT event_action_pkey PRIMARY KEY (id, community_code);
ALTER TABLE event_action ADD CONSTRAINT event_action_event_fkey
    FOREIGN KEY (community_code, event_id) REFERENCES event (community_code, id)
    ON UPDATE CASCADE ON DELETE CASCADE;

ANALYZE event, event_key, dispatch, event_action;

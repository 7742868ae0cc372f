-- Handling events (街道吹哨、部门报到): departments, dispatches with deadlines, an append-only
-- history, the working-day calendar; and API tokens with roles and scopes.

CREATE TABLE department (
    code        text PRIMARY KEY,
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    categories  text[] NOT NULL DEFAULT '{}',  -- leaf or group codes it handles
    active      boolean NOT NULL DEFAULT true
);

-- Days that differ from the Monday-to-Friday rule: public holidays (working = false) and
-- make-up working weekends (working = true).
CREATE TABLE calendar_day (
    day      date PRIMARY KEY,
    working  boolean NOT NULL,
    note     text NOT NULL DEFAULT ''
);

ALTER TABLE event
    ADD COLUMN accept_due_at  timestamptz,
    ADD COLUMN resolve_due_at timestamptz,
    ADD COLUMN merged_into    bigint,
    ADD COLUMN updated_at     timestamptz NOT NULL DEFAULT now();
CREATE INDEX event_status ON event (status);
-- Sample data made by `gridsvc events generate` is loaded through an import marked synthetic,
-- and every event of it says so.
ALTER TABLE import_job ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
CREATE INDEX event_accept_due ON event (accept_due_at) WHERE status = 'reported';
CREATE INDEX event_resolve_due ON event (resolve_due_at)
    WHERE status IN ('dispatched', 'in_progress');

CREATE TABLE dispatch (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint NOT NULL REFERENCES event (id) ON DELETE CASCADE,
    department_code text NOT NULL REFERENCES department (code),
    state           text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'in_progress', 'resolved', 'cancelled')),
    due_at          timestamptz NOT NULL,
    note            text,
    media           jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL DEFAULT now(),
    responded_at    timestamptz
);
CREATE INDEX dispatch_event ON dispatch (event_id);
CREATE INDEX dispatch_department_open ON dispatch (department_code)
    WHERE state IN ('pending', 'in_progress');

CREATE TABLE event_action (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES event (id) ON DELETE CASCADE,
    action      text NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL,
    note        text,
    data        jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_action_event ON event_action (event_id, id);
-- Append-only: history rows are never changed or removed.
CREATE FUNCTION event_action_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_action is append-only';
END $$;
CREATE TRIGGER event_action_no_update BEFORE UPDATE OR DELETE ON event_action
    FOR EACH ROW EXECUTE FUNCTION event_action_append_only();

CREATE TABLE api_token (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL,
    role            text NOT NULL
        CHECK (role IN ('grid_worker', 'dispatcher', 'department', 'analyst', 'admin')),
    scope_code      text,          -- a grid code for grid_worker / dispatcher
    department_code text REFERENCES department (code),
    token_sha256    text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    last_used_at    timestamptz
);

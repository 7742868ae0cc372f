-- Photos attached to reports (issue #19). A file is stored once, under the SHA-256 of its
-- bytes (the same photo sent twice, or by two people, is one row); who sent it is kept
-- apart, one row per sender, because the sender may always read it back. Bytes live in the
-- database so that `gridsvc backup` keeps them with the events that name them; the field
-- page shrinks photos to ~1600 px JPEG (a few hundred kB) before sending them.
CREATE TABLE media (
    id            text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    width_px      integer NOT NULL CHECK (width_px > 0),
    height_px     integer NOT NULL CHECK (height_px > 0),
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    data          bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE media_upload (
    media_id      text NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    -- the sender's name: the reporter_id its reports carry (gridsvc.access.Principal.name)
    uploader      text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (media_id, uploader)
);

-- Who else may read a photo is decided by the events whose `media` list names its URL
-- (/v1/media/<id>): a containment lookup. Partial: most events have no photo. Built in the
-- migration's transaction (one scan of event; writes to event wait for it). On a large live
-- database, create it first by hand with CREATE INDEX CONCURRENTLY under the same name.
CREATE INDEX IF NOT EXISTS event_media ON event USING gin (media jsonb_path_ops) WHERE media <> '[]'::jsonb;

-- Public map embeds (issue #7): maps an admin publishes as signed, expiring links that need
-- no token. The page is rendered once, at publish time, with small counts suppressed, and
-- kept here: a viewer of the public link never causes a statistics query.

-- Secrets the service makes for itself when no setting gives one (name -> value), e.g. the
-- HMAC key of embed links when GRIDSVC_EMBED_SECRET is unset. Made once, never rotated
-- silently: a new value would invalidate every published link.
CREATE TABLE service_secret (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE map_embed (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,         -- choropleth, heatmap, ... (gridsvc.embeds.kinds)
    title       text NOT NULL,
    params      jsonb NOT NULL,        -- the filter and options the page was made with
    min_count   integer NOT NULL CHECK (min_count >= 1),
    page        text NOT NULL,         -- the frozen HTML page
    created_by  text NOT NULL,         -- name of the admin token that published it
    created_at  timestamptz NOT NULL,
    -- whole seconds: the link carries and signs this instant as a Unix time
    expires_at  timestamptz NOT NULL CHECK (expires_at = date_trunc('second', expires_at)),
    revoked_at  timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX map_embed_created ON map_embed (created_at DESC);

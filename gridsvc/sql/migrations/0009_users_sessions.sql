-- People who sign in to the web console (issue #18): a user has a role and scope exactly as
-- an API token does (gridsvc.access), a password hashed with Argon2id (argon2-cffi; the
-- hash string carries its own salt and cost), and server-side sessions. Only the SHA-256 of
-- a session id is stored, as for tokens: a dump holds no usable cookie.
CREATE TABLE app_user (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$'),
    display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    role            text NOT NULL
        CHECK (role IN ('grid_worker', 'dispatcher', 'department', 'analyst', 'admin')),
    scope_code      text,
    department_code text REFERENCES department (code),
    password_hash   text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz,
    -- failed sign-ins in a row; at the limit the account is locked until locked_until
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    last_login_at   timestamptz
);

CREATE TABLE user_session (
    id_sha256   text PRIMARY KEY,
    user_id     integer NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    -- sent back with every state-changing request of the session (form field or header)
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX user_session_user ON user_session (user_id);
CREATE INDEX user_session_expires ON user_session (expires_at);

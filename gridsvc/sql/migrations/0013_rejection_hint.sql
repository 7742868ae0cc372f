-- A rejected row of an import keeps what a report sent alone is answered for the same
-- mistake (issue #23): the hint beside the reason, both in the language of the request that
-- imported, and the message's catalogue id, as the answer of POST /v1/imports gives them.
-- Rows of earlier imports have neither (NULL). Adding nullable columns rewrites nothing.
ALTER TABLE import_rejection
    ADD COLUMN message_id text,
    ADD COLUMN hint text;

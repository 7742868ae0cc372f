-- The secret named %(name)s: the stored one, or %(value)s stored now when there is none.
-- When two processes create it at once, the loser's insert does nothing and its snapshot may
-- not see the winner's row yet: no row comes back, and the caller asks again.
WITH made AS (
    INSERT INTO service_secret (name, value) VALUES (%(name)s, %(value)s)
    ON CONFLICT (name) DO NOTHING
    RETURNING value
)
SELECT value FROM made
UNION ALL
SELECT value FROM service_secret WHERE name = %(name)s
LIMIT 1

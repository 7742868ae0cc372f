-- Build event_sensitive_geom (migration 0014) again for the categories %(codes)s, the
-- sensitive ones now: the new index first, then the old one dropped and the new renamed, so
-- that the table is locked against readers (DROP INDEX) only from there to the commit.
CREATE INDEX event_sensitive_geom_next ON event USING gist (geom)
    WHERE category = ANY (%(codes)s::text[]);
DROP INDEX IF EXISTS event_sensitive_geom;
ALTER INDEX event_sensitive_geom_next RENAME TO event_sensitive_geom

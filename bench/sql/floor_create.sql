-- Rows 1f and 1b: the floor's tables, empty. floor_* have exactly the schema of what an
-- import writes (event, its idempotency key event_key, the rollups event_daily,
-- event_status_count and event_tile_bin): columns, defaults, identity, CHECKs, every index (partial and
-- expression ones too) and event's foreign key to grid_version (LIKE does not copy foreign
-- keys: added below). bare_event has event's columns and nothing else: no index, no
-- constraint but NOT NULL.
DROP TABLE IF EXISTS floor_event, floor_event_key, floor_daily, floor_status_count,
    floor_tile_bin, bare_event;
CREATE TABLE floor_event (LIKE event INCLUDING ALL);
ALTER TABLE floor_event ADD FOREIGN KEY (grid_version_id) REFERENCES grid_version (id);
CREATE TABLE floor_event_key (LIKE event_key INCLUDING ALL);
CREATE TABLE floor_daily (LIKE event_daily INCLUDING ALL);
CREATE TABLE floor_status_count (LIKE event_status_count INCLUDING ALL);
CREATE TABLE floor_tile_bin (LIKE event_tile_bin INCLUDING ALL);
CREATE TABLE bare_event (LIKE event);

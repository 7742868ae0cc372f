-- Row 7's split: the reports' own text (title, description, address, media, attributes: the
-- stored datum of each, compressed or TOASTed as it is, header included) and the rest of the
-- heap of event and event_key (tuple headers, every other column, padding, free space, the
-- TOAST index, free space and visibility maps); indexes are in event_index_sizes.sql. The
-- rollups apart: event_daily, event_status_count and event_tile_bin with their indexes.
SELECT count(*) AS events,
       coalesce(sum(pg_column_size(title) + pg_column_size(description)
                    + coalesce(pg_column_size(address), 0) + pg_column_size(media)
                    + pg_column_size(attributes)), 0) AS text_bytes,
       pg_table_size('event') + pg_table_size('event_key') AS heap_and_toast_bytes,
       pg_total_relation_size('event_daily') AS daily_bytes,
       pg_total_relation_size('event_status_count') AS status_count_bytes,
       pg_total_relation_size('event_tile_bin') AS tile_bin_bytes
FROM event

-- No notices for the rest of this transaction: "relation event_stage already exists,
-- skipping" came back with every batch of reports and of imports (event_stage_create.sql).
SET LOCAL client_min_messages = warning

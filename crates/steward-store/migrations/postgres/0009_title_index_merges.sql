-- SQLite's migration 0009 takes its trigram index's segment merges into the writer's own
-- hands. PostgreSQL's `pg_trgm` GIN index has no segments, so nothing changes here; this file
-- keeps both backends' migration numbers in step.
SELECT 1;

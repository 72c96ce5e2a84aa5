-- SQLite's migration 0008 batches its trigram index's writes. PostgreSQL's `pg_trgm` GIN index
-- already collects new entries in its pending list (`fastupdate`), so nothing changes here;
-- this file keeps both backends' migration numbers in step.
SELECT 1;

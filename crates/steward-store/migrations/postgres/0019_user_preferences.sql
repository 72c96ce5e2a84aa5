-- Per-user preferences (issue 17): the time zone pages show times in (NULL: the desk's
-- report zone) and the queue's columns in their order (NULL: the default set).
ALTER TABLE users ADD COLUMN time_zone TEXT;
ALTER TABLE users ADD COLUMN queue_columns TEXT;

-- A group's incidents, newest first, read from the index alone on every delivery (issue 18's
-- benchmark: the scan over a group's alerts grew with the group).
DROP INDEX alerts_by_group;
CREATE INDEX alerts_by_group ON alerts (source, group_key, ticket_id);

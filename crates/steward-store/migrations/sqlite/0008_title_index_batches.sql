-- New titles enter the trigram index in batches instead of one transaction at a time
-- (`steward-store/src/tickets/insert.rs`): FTS5 writes a new index segment at every commit and
-- merges segments as they pile up, which was a third of the writer's time for a group of
-- creates. `upto` is the largest ticket id whose title is indexed; searches scan the few rows
-- above it (`tickets/query.rs`).
CREATE TABLE ticket_title_index (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto BIGINT NOT NULL
);
-- Every existing title was indexed by the insert trigger this migration replaces.
INSERT INTO ticket_title_index (id, upto) SELECT 1, COALESCE(MAX(id), 0) FROM tickets;

DROP TRIGGER tickets_fts_insert;
DROP TRIGGER tickets_fts_delete;
DROP TRIGGER tickets_fts_update;

-- A row at or below `upto` is indexed now (an id reused after a delete, say); a row above it
-- waits for its batch.
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets
WHEN new.id <= (SELECT upto FROM ticket_title_index) BEGIN
    INSERT INTO tickets_title_fts (rowid, title) VALUES (new.id, new.title);
END;
-- Only indexed rows have index entries to remove: deleting entries FTS5 never had corrupts it.
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets
WHEN old.id <= (SELECT upto FROM ticket_title_index) BEGIN
    INSERT INTO tickets_title_fts (tickets_title_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title ON tickets
WHEN old.id <= (SELECT upto FROM ticket_title_index) BEGIN
    INSERT INTO tickets_title_fts (tickets_title_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO tickets_title_fts (rowid, title) VALUES (new.id, new.title);
END;

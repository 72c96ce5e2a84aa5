-- The trigram index's segments are merged a few pages per group of creates, by the writer
-- (`steward-store/src/tickets/insert.rs`), instead of by FTS5's automatic merging. That one
-- works in quanta: every 64 leaf pages written it merges 64 × (number of levels) pages inside
-- the commit that crossed the mark — 8–25 ms of CPU in one group of creates every ~2,300
-- creates, which every create queued behind that group waited for.
INSERT INTO tickets_title_fts (tickets_title_fts, rank) VALUES ('automerge', 0);

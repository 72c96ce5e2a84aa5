-- Duplicate incidents (issue 22): a new incident flagged as resembling an older open one, with
-- the reasons (scores in thousandths), until an agent merges or dismisses the pair.
CREATE TABLE incident_duplicates (
    incident_id  BIGINT NOT NULL REFERENCES tickets (id),
    candidate_id BIGINT NOT NULL REFERENCES tickets (id),
    score        BIGINT NOT NULL,
    text_score   BIGINT NOT NULL,
    shared_ci_id BIGINT REFERENCES cis (id),
    same_service BIGINT NOT NULL,
    apart_ms     BIGINT NOT NULL,
    found_at     BIGINT NOT NULL,
    dismissed_by BIGINT REFERENCES users (id),
    dismissed_at BIGINT,
    CONSTRAINT incident_duplicates_pkey PRIMARY KEY (incident_id, candidate_id)
);
CREATE INDEX incident_duplicates_candidate ON incident_duplicates (candidate_id);

-- A merged incident's conversation is copied to the one that stays, marked with where it came from.
ALTER TABLE comments ADD COLUMN merged_from BIGINT REFERENCES tickets (id);
ALTER TABLE attachments ADD COLUMN merged_from BIGINT REFERENCES tickets (id);

-- Duplicates are looked for among incidents raised from now on (not the whole history).
INSERT INTO feed_cursors (name, seq) SELECT 'duplicates', COALESCE(MAX(seq), 0) FROM events;

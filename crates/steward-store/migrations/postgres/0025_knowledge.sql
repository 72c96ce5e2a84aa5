-- The knowledge base (issue 19). An article's row holds its newest version (and the workflow
-- state of that version); every version is kept in article_versions. Readers see the version
-- published_version names, which stays live while a newer draft is reviewed.
CREATE TABLE articles (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title             TEXT   NOT NULL,
    body              TEXT   NOT NULL,
    lang              TEXT   NOT NULL,
    audience          TEXT   NOT NULL,
    category          TEXT   NOT NULL DEFAULT '',
    tags              TEXT   NOT NULL DEFAULT '',
    review_by         TEXT,
    state             TEXT   NOT NULL,
    version           BIGINT NOT NULL,
    published_version BIGINT,
    owner_id          BIGINT NOT NULL REFERENCES users (id),
    last_editor_id    BIGINT NOT NULL REFERENCES users (id),
    source_ticket_id  BIGINT REFERENCES tickets (id),
    views             BIGINT NOT NULL DEFAULT 0,
    helpful           BIGINT NOT NULL DEFAULT 0,
    unhelpful         BIGINT NOT NULL DEFAULT 0,
    -- The review date the owner was last reminded of (a new date reminds again).
    reminded_for      TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX articles_state ON articles (state, updated_at);
CREATE INDEX articles_review ON articles (review_by);

CREATE TABLE article_versions (
    article_id BIGINT NOT NULL REFERENCES articles (id),
    version    BIGINT NOT NULL,
    title      TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    lang       TEXT   NOT NULL,
    audience   TEXT   NOT NULL,
    category   TEXT   NOT NULL,
    tags       TEXT   NOT NULL,
    review_by  TEXT,
    editor_id  BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- Articles attached to tickets.
CREATE TABLE ticket_articles (
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id),
    article_id BIGINT NOT NULL REFERENCES articles (id),
    linked_at  BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, article_id)
);
CREATE INDEX ticket_articles_article ON ticket_articles (article_id);

-- "Was this helpful?": one answer per reader and article (a new answer replaces the old).
CREATE TABLE article_ratings (
    article_id BIGINT  NOT NULL REFERENCES articles (id),
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    helpful    BOOLEAN NOT NULL,
    rated_at   BIGINT  NOT NULL,
    PRIMARY KEY (article_id, user_id)
);

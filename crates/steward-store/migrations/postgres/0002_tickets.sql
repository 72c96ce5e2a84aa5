-- Tickets: one record type for every kind (incidents first), with the conversation, links,
-- watchers and attachments every kind shares. Categories are an admin-managed two-level list.

CREATE TABLE categories (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT    NOT NULL,
    parent_id  BIGINT  REFERENCES categories (id),
    active     BIGINT  NOT NULL DEFAULT 1,
    created_at BIGINT  NOT NULL
);
-- Top-level names are unique too (a plain UNIQUE would let NULL parents repeat them).
CREATE UNIQUE INDEX categories_name_key ON categories (COALESCE(parent_id, 0), name);

-- Human numbers per kind (INC000042) come from here, inside the creating transaction.
CREATE TABLE ticket_counters (
    kind TEXT   PRIMARY KEY,
    next BIGINT NOT NULL
);

CREATE TABLE tickets (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT    NOT NULL,
    number          TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    requester_id    BIGINT  NOT NULL REFERENCES users (id),
    created_by      BIGINT  REFERENCES users (id),
    category_id     BIGINT  REFERENCES categories (id),
    subcategory_id  BIGINT  REFERENCES categories (id),
    service         TEXT,
    impact          BIGINT  NOT NULL,
    urgency         BIGINT  NOT NULL,
    priority        BIGINT  NOT NULL,
    team_id         BIGINT  REFERENCES teams (id),
    assignee_id     BIGINT  REFERENCES users (id),
    state           TEXT    NOT NULL,
    hold_reason     TEXT,
    resolution_code TEXT,
    resolution_note TEXT,
    resolved_at     BIGINT,
    closed_at       BIGINT,
    reopen_count    BIGINT  NOT NULL DEFAULT 0,
    parent_id       BIGINT  REFERENCES tickets (id),
    tags            TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    version         BIGINT  NOT NULL DEFAULT 1,
    CONSTRAINT tickets_number_key UNIQUE (number)
);
-- The work queue: a team's tickets in a state, most urgent first.
CREATE INDEX tickets_queue ON tickets (team_id, state, priority, id);
CREATE INDEX tickets_state ON tickets (state, priority, id);
CREATE INDEX tickets_requester ON tickets (requester_id, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, state, id);
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_parent ON tickets (parent_id);
CREATE INDEX tickets_resolved ON tickets (state, resolved_at);

-- Substring search in titles, Latin and Chinese alike: a trigram index (pg_trgm ships with
-- PostgreSQL's contrib modules).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tickets_title_trgm ON tickets USING gin (title gin_trgm_ops);

CREATE TABLE ticket_watchers (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    user_id   BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (ticket_id, user_id)
);

-- Related tickets, stored once per pair with the smaller id first.
CREATE TABLE ticket_links (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    other_id  BIGINT NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (ticket_id, other_id)
);

-- Public replies and internal work notes.
CREATE TABLE comments (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  BIGINT  NOT NULL REFERENCES tickets (id),
    author_id  BIGINT  NOT NULL REFERENCES users (id),
    body       TEXT    NOT NULL,
    internal   BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX comments_ticket ON comments (ticket_id, id);

CREATE TABLE comment_mentions (
    comment_id BIGINT NOT NULL REFERENCES comments (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (comment_id, user_id)
);

-- Attachments live in the database, so every node of a cluster serves them.
CREATE TABLE attachments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id    BIGINT  NOT NULL REFERENCES tickets (id),
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    sha256       TEXT    NOT NULL,
    internal     BIGINT  NOT NULL,
    uploaded_by  BIGINT  NOT NULL REFERENCES users (id),
    created_at   BIGINT  NOT NULL,
    data         BYTEA   NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, id);

CREATE TABLE saved_views (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    name       TEXT   NOT NULL,
    query      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT saved_views_name_key UNIQUE (user_id, name)
);

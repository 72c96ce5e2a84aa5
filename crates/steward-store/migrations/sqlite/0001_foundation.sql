-- Foundation: identity (users, teams, sessions, API tokens), the hash-chained event log and
-- the job queue.
--
-- Instants are BIGINT milliseconds since the Unix epoch, UTC, on both backends, so one SQL text
-- serves SQLite and PostgreSQL. Flags are INTEGER 0/1 for the same reason.

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL,
    display_name        TEXT    NOT NULL,
    email               TEXT,
    role                TEXT    NOT NULL,
    password_hash       TEXT,
    disabled            INTEGER NOT NULL DEFAULT 0,
    locale              TEXT,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    login_blocked_until BIGINT  NOT NULL DEFAULT 0,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    version             BIGINT  NOT NULL DEFAULT 1,
    CONSTRAINT users_username_key UNIQUE (username)
);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT teams_name_key UNIQUE (name)
);

CREATE TABLE team_members (
    team_id  BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- Web sessions. Only a SHA-256 of the cookie value is stored, so a leaked table opens nothing.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT   NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    csrf_token   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Bearer tokens for the API and hooks, stored hashed like sessions.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    name         TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL UNIQUE,
    scopes       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   BIGINT,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- The append-only event log: audit trail, activity stream and outbox. `seq` is dense (1, 2, 3,
-- ...) and comes from event_chain, so a deleted row shows as a gap.
CREATE TABLE events (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT   NOT NULL,
    entity_type TEXT   NOT NULL,
    entity_id   TEXT,
    action      TEXT   NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    prev_hash   TEXT   NOT NULL,
    hash        TEXT   NOT NULL
);
CREATE INDEX events_entity ON events (entity_type, entity_id, seq);

-- The head of the chain. Every append updates this one row first, which serialises appends on
-- both backends (a row lock on PostgreSQL, the write lock on SQLite).
CREATE TABLE event_chain (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT   NOT NULL
);
INSERT INTO event_chain (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    dedupe_key   TEXT,
    run_at       BIGINT  NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_by    TEXT,
    locked_until BIGINT,
    last_error   TEXT,
    dead_at      BIGINT,
    created_at   BIGINT  NOT NULL,
    CONSTRAINT jobs_dedupe_key UNIQUE (dedupe_key)
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE dead_at IS NULL;

-- Logs (issue 22): templates mined from log lines with their counts per minute and per host,
-- the hosts that send, and the raw lines in compressed chunks (lz4 of JSON lines) with which
-- templates and hosts each chunk holds. Times are ms since the epoch; a minute is ms / 60000.

CREATE TABLE log_templates (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    text        TEXT   NOT NULL,
    -- SHA-256 of the text: texts can be long, an index on the hash is not.
    text_hash   TEXT   NOT NULL,
    merged_into BIGINT REFERENCES log_templates (id),
    lines       BIGINT NOT NULL DEFAULT 0,
    -- The most severe level seen (a Level word) and its rank (0 emergency … 7 debug).
    level_rank  BIGINT NOT NULL DEFAULT 6,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    -- JSON array of up to three example lines (they also seed the miner on start).
    examples    TEXT   NOT NULL DEFAULT '[]',
    CONSTRAINT log_templates_text_hash_key UNIQUE (text_hash)
);
CREATE INDEX log_templates_last_seen ON log_templates (last_seen);

CREATE TABLE log_template_minutes (
    template_id BIGINT NOT NULL REFERENCES log_templates (id),
    minute      BIGINT NOT NULL,
    lines       BIGINT NOT NULL,
    CONSTRAINT log_template_minutes_pkey PRIMARY KEY (template_id, minute)
);
CREATE INDEX log_template_minutes_minute ON log_template_minutes (minute);

CREATE TABLE log_hosts (
    host       TEXT   NOT NULL,
    ci_id      BIGINT REFERENCES cis (id),
    lines      BIGINT NOT NULL DEFAULT 0,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    CONSTRAINT log_hosts_pkey PRIMARY KEY (host)
);

CREATE TABLE log_template_hosts (
    template_id BIGINT NOT NULL REFERENCES log_templates (id),
    host        TEXT   NOT NULL,
    lines       BIGINT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    CONSTRAINT log_template_hosts_pkey PRIMARY KEY (template_id, host)
);
CREATE INDEX log_template_hosts_host ON log_template_hosts (host);

CREATE TABLE log_chunks (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at  BIGINT NOT NULL,
    first_at     BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    lines        BIGINT NOT NULL,
    raw_bytes    BIGINT NOT NULL,
    stored_bytes BIGINT NOT NULL,
    body         BYTEA  NOT NULL
);
CREATE INDEX log_chunks_last_at ON log_chunks (last_at);

CREATE TABLE log_chunk_templates (
    template_id BIGINT NOT NULL,
    chunk_id    BIGINT NOT NULL REFERENCES log_chunks (id),
    lines       BIGINT NOT NULL,
    CONSTRAINT log_chunk_templates_pkey PRIMARY KEY (template_id, chunk_id)
);
CREATE INDEX log_chunk_templates_chunk ON log_chunk_templates (chunk_id);

CREATE TABLE log_chunk_hosts (
    host     TEXT   NOT NULL,
    chunk_id BIGINT NOT NULL REFERENCES log_chunks (id),
    CONSTRAINT log_chunk_hosts_pkey PRIMARY KEY (host, chunk_id)
);
CREATE INDEX log_chunk_hosts_chunk ON log_chunk_hosts (chunk_id);

-- Alerts from monitoring (issue 18): one row per alert a sender keeps re-sending, keyed by
-- (source, fingerprint). Re-sends only count (`repeats`, `last_seen`); each change of state
-- is an event. `ticket_id` is the incident it opened or joined.
CREATE TABLE alerts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT   NOT NULL,
    fingerprint TEXT   NOT NULL,
    -- The sender's group (Alertmanager's groupKey): alerts of a group share an incident.
    group_key   TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    severity    TEXT   NOT NULL,
    title       TEXT   NOT NULL,
    subject     TEXT,
    labels      TEXT   NOT NULL,
    annotations TEXT   NOT NULL,
    link        TEXT,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    repeats     BIGINT NOT NULL DEFAULT 0,
    ticket_id   BIGINT REFERENCES tickets (id),
    -- The configuration item its labels name (`instance`, `host`, …), if the CMDB has it.
    ci_id       BIGINT REFERENCES cis (id),
    -- The silence that matched it when it fired (it opened no incident).
    silence_id  BIGINT,
    -- State changes counted since `flips_since`: too many in the window and it is flapping.
    flips       BIGINT NOT NULL DEFAULT 0,
    flips_since BIGINT,
    CONSTRAINT alerts_fingerprint_key UNIQUE (source, fingerprint)
);
CREATE INDEX alerts_by_status ON alerts (status, last_seen);
CREATE INDEX alerts_by_ticket ON alerts (ticket_id);
CREATE INDEX alerts_by_group ON alerts (source, group_key);
CREATE INDEX alerts_by_ci ON alerts (ci_id, status);

-- Silences and maintenance windows: label matchers (one per line) over a time range, with who
-- and why. Ending one early moves its end to that moment.
CREATE TABLE silences (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    matchers   TEXT   NOT NULL,
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    comment    TEXT   NOT NULL,
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX silences_by_end ON silences (ends_at);

-- Alerts, continued (issue 18).

-- A group's incidents, newest first, read from the index alone on every delivery (the
-- benchmark showed the scan over a group's alerts growing with the group).
DROP INDEX alerts_by_group;
CREATE INDEX alerts_by_group ON alerts (source, group_key, ticket_id);
CREATE INDEX alerts_by_seen ON alerts (last_seen);

-- Acknowledged: someone is on it. Expected: it fired on a CI inside a maintenance window.
ALTER TABLE alerts ADD COLUMN acked_by TEXT;
ALTER TABLE alerts ADD COLUMN acked_at BIGINT;
ALTER TABLE alerts ADD COLUMN maintenance_id BIGINT;

-- Maintenance windows on configuration items: an alert on the CI while one runs is expected
-- and opens nothing (changes will schedule them; `change_ref` names the change).
CREATE TABLE maintenance_windows (
    id         INTEGER PRIMARY KEY,
    ci_id      BIGINT NOT NULL REFERENCES cis (id),
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    reason     TEXT   NOT NULL,
    change_ref TEXT,
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX maintenance_by_ci ON maintenance_windows (ci_id, ends_at);

-- Rules that decide which alerts open incidents, first match wins: label matchers, whether
-- it opens one and at what impact and urgency, and whether the incident resolves itself when
-- the alerts clear (`auto`) or waits for a person (`confirm`).
CREATE TABLE alert_rules (
    id         INTEGER PRIMARY KEY,
    position   BIGINT NOT NULL,
    name       TEXT   NOT NULL,
    matchers   TEXT   NOT NULL,
    opens      BIGINT NOT NULL,
    impact     BIGINT,
    urgency    BIGINT,
    resolve    TEXT   NOT NULL,
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT alert_rules_name_key UNIQUE (name)
);

-- Deliveries as their senders sent them, kept for `alert_payload_days` (then purged).
CREATE TABLE alert_payloads (
    id          INTEGER PRIMARY KEY,
    source      TEXT   NOT NULL,
    received_at BIGINT NOT NULL,
    body        TEXT   NOT NULL
);
CREATE INDEX alert_payloads_by_time ON alert_payloads (received_at);

-- Subscriptions (issue 18): who outside Steward hears of what, and where to deliver it. The
-- secret signs deliveries (it must be read back to sign, so it is kept as given).
CREATE TABLE subscriptions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT   NOT NULL,
    topics       TEXT   NOT NULL,
    -- JSON: {"team", "max_priority", "service", "labels": ["name=value", ...]}.
    filter       TEXT   NOT NULL,
    channel      TEXT   NOT NULL,
    target       TEXT   NOT NULL,
    secret       TEXT,
    locale       TEXT   NOT NULL,
    created_by   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    CONSTRAINT subscriptions_name_key UNIQUE (name)
);

-- One message to one subscription, from one event (`seq`): pending until its receiver took it,
-- dead when the job queue gave up (an admin may send it again). `notice` is what it says.
CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    topic           TEXT   NOT NULL,
    notice          TEXT   NOT NULL,
    status          TEXT   NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CONSTRAINT deliveries_once UNIQUE (subscription_id, seq, topic)
);
CREATE INDEX deliveries_by_status ON deliveries (status, id);

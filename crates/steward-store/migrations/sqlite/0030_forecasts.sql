-- Forecasts (issue 22): Prometheus queries watched for a predicted threshold breach, with the
-- outcome of their last evaluation (a predicted breach fires an alert on the CI).
CREATE TABLE forecast_rules (
    id               INTEGER PRIMARY KEY,
    name             TEXT   NOT NULL,
    query            TEXT   NOT NULL,
    ci_id            BIGINT REFERENCES cis (id),
    threshold        TEXT   NOT NULL,
    breach           TEXT   NOT NULL,
    horizon_minutes  BIGINT NOT NULL,
    lookback_minutes BIGINT NOT NULL,
    created_by       BIGINT NOT NULL REFERENCES users (id),
    created_at       BIGINT NOT NULL,
    deleted          BIGINT NOT NULL DEFAULT 0,
    -- The last evaluation: when, the predicted breach time (ms) if any, the latest value, the
    -- model used, and what went wrong (empty when nothing did).
    evaluated_at     BIGINT,
    predicted_at     BIGINT,
    last_value       TEXT   NOT NULL DEFAULT '',
    model            TEXT   NOT NULL DEFAULT '',
    error            TEXT   NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX forecast_rules_name_key ON forecast_rules (name) WHERE deleted = 0;

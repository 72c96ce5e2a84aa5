-- Automation (issue 21): runbooks and their versions, runs with their steps, output and
-- artefacts, approvals, schedules, alert triggers, the encrypted secret store and
-- just-in-time grants. Flags are BIGINT 0/1 on both engines.

CREATE TABLE runbooks (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    version    BIGINT NOT NULL,
    retired    BIGINT NOT NULL DEFAULT 0,
    -- From the newest version, so a claim need not read the definition.
    concurrency        BIGINT NOT NULL,
    target_concurrency BIGINT NOT NULL,
    manual_minutes     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT runbooks_name_key UNIQUE (name)
);
CREATE TABLE runbook_versions (
    runbook_id BIGINT NOT NULL REFERENCES runbooks (id),
    version    BIGINT NOT NULL,
    definition TEXT   NOT NULL,
    saved_by   TEXT   NOT NULL,
    saved_at   BIGINT NOT NULL,
    CONSTRAINT runbook_versions_pkey PRIMARY KEY (runbook_id, version)
);

-- One row per run. `state` is a RunState word; a node claims a queued run by moving it to
-- running with a conditional UPDATE, so no run is executed twice.
CREATE TABLE runbook_runs (
    id               INTEGER PRIMARY KEY,
    runbook_id       BIGINT NOT NULL REFERENCES runbooks (id),
    version          BIGINT NOT NULL,
    state            TEXT   NOT NULL,
    run_trigger      TEXT   NOT NULL,
    params           TEXT   NOT NULL,
    requested_by     BIGINT REFERENCES users (id),
    ci_id            BIGINT REFERENCES cis (id),
    ticket_id        BIGINT REFERENCES tickets (id),
    change_id        BIGINT REFERENCES tickets (id),
    alert_id         BIGINT,
    schedule_id      BIGINT,
    due_at           BIGINT NOT NULL,
    requested_at     BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    node             TEXT,
    lease_until      BIGINT,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    detail           TEXT   NOT NULL DEFAULT '',
    authority        TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX runbook_runs_state ON runbook_runs (state, due_at);
CREATE INDEX runbook_runs_runbook ON runbook_runs (runbook_id, id);
CREATE INDEX runbook_runs_ci ON runbook_runs (ci_id, id);
CREATE INDEX runbook_runs_ticket ON runbook_runs (ticket_id, id);
CREATE INDEX runbook_runs_requested ON runbook_runs (requested_at);
-- A schedule makes one run per due minute, whichever node sees it first.
CREATE UNIQUE INDEX runbook_runs_schedule_due ON runbook_runs (schedule_id, due_at);

-- The CIs a run works on (for per-target concurrency and the CI's page).
CREATE TABLE runbook_run_targets (
    run_id BIGINT NOT NULL REFERENCES runbook_runs (id),
    ci_id  BIGINT NOT NULL REFERENCES cis (id),
    CONSTRAINT runbook_run_targets_pkey PRIMARY KEY (run_id, ci_id)
);
CREATE INDEX runbook_run_targets_ci ON runbook_run_targets (ci_id);

CREATE TABLE runbook_run_steps (
    run_id      BIGINT NOT NULL REFERENCES runbook_runs (id),
    idx         BIGINT NOT NULL,
    step_key    TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    rollback    BIGINT NOT NULL,
    state       TEXT   NOT NULL,
    exit_code   BIGINT,
    started_at  BIGINT,
    finished_at BIGINT,
    outputs     TEXT   NOT NULL DEFAULT '{}',
    error       TEXT   NOT NULL DEFAULT '',
    CONSTRAINT runbook_run_steps_pkey PRIMARY KEY (run_id, idx)
);

-- Output as it streams, in chunks; masked and capped before it is written.
CREATE TABLE runbook_output (
    run_id   BIGINT NOT NULL REFERENCES runbook_runs (id),
    seq      BIGINT NOT NULL,
    step_idx BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    text     TEXT   NOT NULL,
    CONSTRAINT runbook_output_pkey PRIMARY KEY (run_id, seq)
);

CREATE TABLE runbook_artifacts (
    run_id     BIGINT NOT NULL REFERENCES runbook_runs (id),
    name       TEXT   NOT NULL,
    size       BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    data       BLOB   NOT NULL,
    CONSTRAINT runbook_artifacts_pkey PRIMARY KEY (run_id, name)
);

-- Approvals of a run (`step_key` '') or of one gated step.
CREATE TABLE runbook_approvals (
    run_id     BIGINT NOT NULL REFERENCES runbook_runs (id),
    step_key   TEXT   NOT NULL,
    approver   BIGINT NOT NULL REFERENCES users (id),
    approve    BIGINT NOT NULL,
    comment    TEXT   NOT NULL,
    decided_at BIGINT NOT NULL,
    CONSTRAINT runbook_approvals_pkey PRIMARY KEY (run_id, step_key, approver)
);

CREATE TABLE runbook_schedules (
    id          INTEGER PRIMARY KEY,
    runbook_id  BIGINT NOT NULL REFERENCES runbooks (id),
    cron        TEXT   NOT NULL,
    zone        TEXT   NOT NULL,
    calendar_id BIGINT,
    params      TEXT   NOT NULL,
    ci_id       BIGINT REFERENCES cis (id),
    owner       BIGINT NOT NULL REFERENCES users (id),
    next_at     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX runbook_schedules_next ON runbook_schedules (next_at);

CREATE TABLE runbook_alert_triggers (
    id         INTEGER PRIMARY KEY,
    runbook_id BIGINT NOT NULL REFERENCES runbooks (id),
    matchers   TEXT   NOT NULL,
    params     TEXT   NOT NULL,
    owner      BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);

-- Secrets, encrypted (XChaCha20-Poly1305) with a key kept outside the database.
CREATE TABLE secrets (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    sealed     BLOB   NOT NULL,
    updated_by TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT secrets_name_key UNIQUE (name)
);

CREATE TABLE jit_grants (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    reason       TEXT   NOT NULL,
    minutes      BIGINT NOT NULL,
    state        TEXT   NOT NULL,
    requested_at BIGINT NOT NULL,
    decided_by   BIGINT REFERENCES users (id),
    decided_at   BIGINT,
    expires_at   BIGINT,
    comment      TEXT   NOT NULL DEFAULT ''
);
CREATE TABLE jit_grant_cis (
    grant_id BIGINT NOT NULL REFERENCES jit_grants (id),
    ci_id    BIGINT NOT NULL REFERENCES cis (id),
    CONSTRAINT jit_grant_cis_pkey PRIMARY KEY (grant_id, ci_id)
);

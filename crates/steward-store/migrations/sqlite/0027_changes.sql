-- Change management (issue 20). A change is a ticket of kind 'change'; its plan is one row of
-- `changes`, its CIs are in ticket_cis like any ticket's.

-- Models: the workflow each change follows, as YAML. Every edit is a new version in
-- change_model_versions; a change keeps the version it started with.
CREATE TABLE change_models (
    id          INTEGER PRIMARY KEY,
    name        TEXT   NOT NULL,
    change_type TEXT   NOT NULL,
    version     BIGINT NOT NULL,
    retired     BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    CONSTRAINT change_models_name_key UNIQUE (name)
);
CREATE TABLE change_model_versions (
    model_id   BIGINT NOT NULL REFERENCES change_models (id),
    version    BIGINT NOT NULL,
    definition TEXT   NOT NULL,
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT change_model_versions_pkey PRIMARY KEY (model_id, version)
);

CREATE TABLE changes (
    ticket_id           BIGINT NOT NULL PRIMARY KEY REFERENCES tickets (id),
    change_type         TEXT   NOT NULL,
    model_id            BIGINT NOT NULL REFERENCES change_models (id),
    model_version       BIGINT NOT NULL,
    step                TEXT   NOT NULL,
    reason              TEXT   NOT NULL DEFAULT '',
    implementation_plan TEXT   NOT NULL DEFAULT '',
    backout_plan        TEXT   NOT NULL DEFAULT '',
    test_plan           TEXT   NOT NULL DEFAULT '',
    communication_plan  TEXT   NOT NULL DEFAULT '',
    planned_start       BIGINT,
    planned_end         BIGINT,
    implementer_team    BIGINT REFERENCES teams (id),
    risk_score          BIGINT,
    risk_class          TEXT,
    risk_reasons        TEXT   NOT NULL DEFAULT '',
    -- question id = index of the answer chosen, one per line
    risk_answers        TEXT   NOT NULL DEFAULT '',
    outcome             TEXT,
    started_at          BIGINT,
    completed_at        BIGINT,
    review              TEXT   NOT NULL DEFAULT '',
    -- 1 while the change holds a place on the calendar (scheduled and not finished)
    booked              BIGINT NOT NULL DEFAULT 0,
    -- what a deployment shipped, and a link to its commit or pipeline
    version             TEXT   NOT NULL DEFAULT '',
    commit_url          TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX changes_by_start ON changes (started_at);
CREATE INDEX changes_on_calendar ON changes (booked, planned_start, planned_end);

-- Incidents and problems a change is linked to (a problem's permanent fix).
CREATE TABLE change_links (
    change_id BIGINT NOT NULL REFERENCES tickets (id),
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    linked_at BIGINT NOT NULL,
    CONSTRAINT change_links_pkey PRIMARY KEY (change_id, ticket_id)
);
CREATE INDEX change_links_ticket ON change_links (ticket_id);

-- The risk questionnaire: answers one per line as `answer | points`.
CREATE TABLE risk_questions (
    id       INTEGER PRIMARY KEY,
    position BIGINT NOT NULL,
    text     TEXT   NOT NULL,
    options  TEXT   NOT NULL
);

-- Approver groups (a CAB) with their rule, and which must approve what.
CREATE TABLE approver_groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    rule       TEXT   NOT NULL,
    quorum     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT approver_groups_name_key UNIQUE (name)
);
CREATE TABLE approver_members (
    group_id BIGINT NOT NULL REFERENCES approver_groups (id),
    user_id  BIGINT NOT NULL REFERENCES users (id),
    CONSTRAINT approver_members_pkey PRIMARY KEY (group_id, user_id)
);
CREATE TABLE approval_policies (
    id          INTEGER PRIMARY KEY,
    change_type TEXT   NOT NULL,
    min_risk    TEXT   NOT NULL,
    level       BIGINT NOT NULL,
    group_id    BIGINT NOT NULL REFERENCES approver_groups (id)
);

-- The approvals a change asked for (one row per level and group), and each decision: the
-- member it counts for (`user_id`) and, when a delegate decided, who did (`decided_by`).
CREATE TABLE change_approvals (
    change_id    BIGINT NOT NULL REFERENCES tickets (id),
    level        BIGINT NOT NULL,
    group_id     BIGINT NOT NULL REFERENCES approver_groups (id),
    requested_at BIGINT NOT NULL,
    reminded_at  BIGINT,
    verdict      TEXT   NOT NULL,
    CONSTRAINT change_approvals_pkey PRIMARY KEY (change_id, level, group_id)
);
CREATE INDEX change_approvals_pending ON change_approvals (verdict, requested_at);
CREATE TABLE approval_decisions (
    change_id  BIGINT NOT NULL REFERENCES tickets (id),
    level      BIGINT NOT NULL,
    group_id   BIGINT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    decided_by BIGINT NOT NULL REFERENCES users (id),
    decision   TEXT   NOT NULL,
    comment    TEXT   NOT NULL,
    via        TEXT   NOT NULL,
    decided_at BIGINT NOT NULL,
    CONSTRAINT approval_decisions_pkey PRIMARY KEY (change_id, level, group_id, user_id)
);

-- Single-use links mailed to approvers; only the SHA-256 of the secret is kept.
CREATE TABLE approval_links (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    change_id  BIGINT NOT NULL REFERENCES tickets (id),
    level      BIGINT NOT NULL,
    group_id   BIGINT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- Someone away lets another decide for them between two instants.
CREATE TABLE delegations (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    delegate_id BIGINT NOT NULL REFERENCES users (id),
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL
);
CREATE INDEX delegations_by_delegate ON delegations (delegate_id, ends_at);

-- Freeze (blackout) windows and the weekly slots a CI accepts changes in.
CREATE TABLE change_freezes (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    reason     TEXT   NOT NULL,
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX change_freezes_by_end ON change_freezes (ends_at);
CREATE TABLE ci_change_slots (
    ci_id BIGINT NOT NULL REFERENCES cis (id),
    slot  TEXT   NOT NULL,
    CONSTRAINT ci_change_slots_pkey PRIMARY KEY (ci_id, slot)
);

-- Conflicts of a change's schedule accepted with a reason (`Conflict::key`).
CREATE TABLE conflict_overrides (
    change_id    BIGINT NOT NULL REFERENCES tickets (id),
    conflict_key TEXT   NOT NULL,
    reason       TEXT   NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    at           BIGINT NOT NULL,
    CONSTRAINT conflict_overrides_pkey PRIMARY KEY (change_id, conflict_key)
);

-- Releases bundle changes (a change is in at most one) under a version and a target date.
CREATE TABLE releases (
    id          INTEGER PRIMARY KEY,
    name        TEXT   NOT NULL,
    version     TEXT   NOT NULL,
    target_date TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    created_by  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    CONSTRAINT releases_name_version_key UNIQUE (name, version)
);
CREATE INDEX releases_by_date ON releases (target_date);
CREATE TABLE release_changes (
    change_id  BIGINT NOT NULL PRIMARY KEY REFERENCES tickets (id),
    release_id BIGINT NOT NULL REFERENCES releases (id)
);
CREATE INDEX release_changes_release ON release_changes (release_id);

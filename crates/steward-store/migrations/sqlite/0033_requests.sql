-- Service requests and the catalogue (issue 23).

-- Whose manager approves a person's requests.
ALTER TABLE users ADD COLUMN manager_id BIGINT REFERENCES users (id);

-- What can be ordered: `version` names the form and plan new requests are made on; `audience`
-- is a JSON list of the organisations that may order it (empty: everyone).
CREATE TABLE catalogue_items (
    id             INTEGER PRIMARY KEY,
    name           TEXT   NOT NULL,
    name_zh        TEXT,
    category       TEXT   NOT NULL,
    description    TEXT   NOT NULL,
    audience       TEXT   NOT NULL,
    delivery_hours BIGINT NOT NULL,
    team_id        BIGINT REFERENCES teams (id),
    active         BIGINT NOT NULL,
    version        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CONSTRAINT catalogue_items_name_key UNIQUE (name)
);

-- Every published form and fulfilment plan (JSON), never edited: a request keeps its version.
CREATE TABLE catalogue_versions (
    item_id    BIGINT NOT NULL REFERENCES catalogue_items (id),
    version    BIGINT NOT NULL,
    form       TEXT   NOT NULL,
    plan       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    CONSTRAINT catalogue_versions_pkey PRIMARY KEY (item_id, version)
);

-- A request's order: the item, the version it was made on, the answers (JSON) and when it is
-- expected to be delivered.
CREATE TABLE service_requests (
    ticket_id    BIGINT NOT NULL PRIMARY KEY REFERENCES tickets (id),
    item_id      BIGINT NOT NULL REFERENCES catalogue_items (id),
    form_version BIGINT NOT NULL,
    answers      TEXT   NOT NULL,
    due_at       BIGINT NOT NULL
);
CREATE INDEX service_requests_item ON service_requests (item_id);

-- Its approval levels (a manager, fixed at submission, or an approver group); a level is
-- requested when the one before is approved.
CREATE TABLE request_approvals (
    request_id   BIGINT NOT NULL REFERENCES tickets (id),
    level        BIGINT NOT NULL,
    group_id     BIGINT REFERENCES approver_groups (id),
    manager_id   BIGINT REFERENCES users (id),
    verdict      TEXT   NOT NULL,
    requested_at BIGINT,
    CONSTRAINT request_approvals_pkey PRIMARY KEY (request_id, level)
);
CREATE INDEX request_approvals_manager ON request_approvals (manager_id, verdict);
CREATE TABLE request_decisions (
    request_id BIGINT NOT NULL REFERENCES tickets (id),
    level      BIGINT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    decision   TEXT   NOT NULL,
    comment    TEXT   NOT NULL,
    decided_at BIGINT NOT NULL,
    CONSTRAINT request_decisions_pkey PRIMARY KEY (request_id, level, user_id)
);

-- Its fulfilment tasks: one stage opens when the one before is done.
CREATE TABLE request_tasks (
    id             INTEGER PRIMARY KEY,
    request_id     BIGINT NOT NULL REFERENCES tickets (id),
    position       BIGINT NOT NULL,
    stage          BIGINT NOT NULL,
    name           TEXT   NOT NULL,
    team_id        BIGINT NOT NULL REFERENCES teams (id),
    state          TEXT   NOT NULL,
    note           TEXT   NOT NULL,
    opened_at      BIGINT,
    done_at        BIGINT,
    done_by        BIGINT REFERENCES users (id)
);
CREATE INDEX request_tasks_request ON request_tasks (request_id);
CREATE INDEX request_tasks_open ON request_tasks (state, team_id);

-- A portal answer that solved someone's need before a ticket was raised (a deflection): the
-- article or known error, and what they had typed.
CREATE TABLE portal_deflections (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT   NOT NULL,
    target_id  BIGINT NOT NULL,
    query      TEXT   NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX portal_deflections_at ON portal_deflections (at);

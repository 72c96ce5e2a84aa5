-- Post-incident reviews (issue 19): one per incident, with its action items.
CREATE TABLE reviews (
    incident_id    BIGINT NOT NULL PRIMARY KEY REFERENCES tickets (id),
    summary        TEXT   NOT NULL DEFAULT '',
    users_affected BIGINT,
    went_well      TEXT   NOT NULL DEFAULT '',
    went_badly     TEXT   NOT NULL DEFAULT '',
    factors        TEXT   NOT NULL DEFAULT '',
    created_by     BIGINT NOT NULL REFERENCES users (id),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE review_actions (
    id          INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES reviews (incident_id),
    title       TEXT   NOT NULL,
    owner_id    BIGINT NOT NULL REFERENCES users (id),
    due         TEXT   NOT NULL,
    state       TEXT   NOT NULL,
    -- The due date the owner was told had passed (a new date tells again).
    overdue_for TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX review_actions_incident ON review_actions (incident_id, id);
CREATE INDEX review_actions_open ON review_actions (state, due);

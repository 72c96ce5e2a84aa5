-- Editing and deleting SLA policies (issue 17). A ticket is measured by the policies as they
-- stood when it was opened: an edit keeps the old definition here, valid for tickets opened
-- before `valid_until`; a deletion only stamps `deleted_at`, so older tickets keep their policy.
CREATE TABLE sla_policy_versions (
    policy_id          BIGINT  NOT NULL REFERENCES sla_policies (id),
    valid_until        BIGINT  NOT NULL,
    name               TEXT    NOT NULL,
    rank               BIGINT  NOT NULL,
    kind               TEXT    NOT NULL,
    priority           BIGINT,
    category_id        BIGINT,
    calendar_id        BIGINT  NOT NULL,
    response_minutes   BIGINT,
    resolution_minutes BIGINT  NOT NULL,
    pause_reasons      TEXT    NOT NULL,
    service            TEXT,
    organisation       TEXT,
    update_minutes     BIGINT,
    thresholds         TEXT    NOT NULL,
    breach_team_id     BIGINT,
    PRIMARY KEY (policy_id, valid_until)
);
ALTER TABLE sla_policies ADD COLUMN deleted_at BIGINT;

-- Problems (issue 19) are tickets of kind 'problem'. Their root-cause analysis is one row each:
-- whys one per line, fishbone causes `bone: text` per line (see core `problems::analysis`).
CREATE TABLE problem_analyses (
    ticket_id     BIGINT NOT NULL PRIMARY KEY REFERENCES tickets (id),
    whys          TEXT   NOT NULL DEFAULT '',
    fishbone      TEXT   NOT NULL DEFAULT '',
    root_cause    TEXT   NOT NULL DEFAULT '',
    workaround    TEXT   NOT NULL DEFAULT '',
    permanent_fix TEXT   NOT NULL DEFAULT '',
    updated_at    BIGINT NOT NULL
);

-- An incident is caused by at most one problem.
CREATE TABLE problem_incidents (
    incident_id BIGINT NOT NULL REFERENCES tickets (id),
    problem_id  BIGINT NOT NULL REFERENCES tickets (id),
    linked_at   BIGINT NOT NULL,
    CONSTRAINT problem_incidents_pkey PRIMARY KEY (incident_id)
);
CREATE INDEX problem_incidents_problem ON problem_incidents (problem_id, incident_id);

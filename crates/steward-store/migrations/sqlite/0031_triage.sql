-- Auto-triage (issue 22): the classifiers trained on the desk's resolved incidents, newest
-- last, with the report of their held-out evaluation (JSON).
CREATE TABLE triage_models (
    id         INTEGER PRIMARY KEY,
    trained_at BIGINT NOT NULL,
    examples   BIGINT NOT NULL,
    report     TEXT   NOT NULL,
    model      BLOB   NOT NULL
);

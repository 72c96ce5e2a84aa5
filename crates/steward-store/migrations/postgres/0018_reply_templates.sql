-- Canned replies (issue 17): a team's texts with placeholders, or every agent's when team_id is
-- NULL. A name is unique within its team (and among the shared ones).
CREATE TABLE reply_templates (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id    BIGINT REFERENCES teams (id),
    name       TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX reply_templates_name ON reply_templates (COALESCE(team_id, 0), name);

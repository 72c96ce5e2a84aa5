-- Routing (issue 17): a ticket raised without a team goes to its subcategory's team, else its
-- category's, else the intake team's (at most one team is the intake team).
ALTER TABLE categories ADD COLUMN team_id BIGINT REFERENCES teams (id);
ALTER TABLE teams ADD COLUMN intake BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX teams_one_intake ON teams (intake) WHERE intake = 1;

-- The customer's voice (issue 23): CSAT after a resolution, the monthly NPS.

-- One CSAT survey per ticket at most: who was asked, the single-use link's hash (the link
-- itself is only mailed), the team and agent of the resolution (the leaderboard counts
-- them), and the answer.
CREATE TABLE csat_surveys (
    id           INTEGER PRIMARY KEY,
    ticket_id    BIGINT NOT NULL UNIQUE REFERENCES tickets (id),
    requester_id BIGINT NOT NULL REFERENCES users (id),
    team_id      BIGINT REFERENCES teams (id),
    assignee_id  BIGINT REFERENCES users (id),
    service      TEXT,
    token_hash   TEXT   NOT NULL UNIQUE,
    asked_at     BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    answered_at  BIGINT,
    stars        BIGINT,
    comment      TEXT   NOT NULL DEFAULT '',
    via          TEXT
);
CREATE INDEX csat_surveys_requester ON csat_surveys (requester_id, answered_at);
CREATE INDEX csat_surveys_answered ON csat_surveys (answered_at);

-- One NPS survey per person and month: the team and service of their last ticket that month.
CREATE TABLE nps_surveys (
    id           INTEGER PRIMARY KEY,
    month        TEXT   NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    team_id      BIGINT REFERENCES teams (id),
    service      TEXT,
    token_hash   TEXT   NOT NULL UNIQUE,
    sent_at      BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    answered_at  BIGINT,
    score        BIGINT,
    reason       TEXT   NOT NULL DEFAULT '',
    sentiment    TEXT,
    UNIQUE (month, user_id)
);
CREATE INDEX nps_surveys_month ON nps_surveys (month, answered_at);

-- The months whose NPS survey the monthly job sent (an admin's sending by hand is not one).
CREATE TABLE nps_runs (
    month TEXT   NOT NULL PRIMARY KEY,
    at    BIGINT NOT NULL
);

-- People who asked for no more NPS surveys.
CREATE TABLE nps_opt_outs (
    user_id BIGINT NOT NULL PRIMARY KEY REFERENCES users (id),
    at      BIGINT NOT NULL
);

-- The report rollup gains each ticket's agent (the leaderboard ranks agents): forgetting the
-- zone it was built in makes the next start rebuild it.
DELETE FROM report_settings;

-- When a review's action item was done (the leaderboard credits the month it was done in,
-- whatever is written on it later).
ALTER TABLE review_actions ADD COLUMN done_at BIGINT;
UPDATE review_actions SET done_at = updated_at WHERE state = 'done';

-- Problems resolved in a month, for the leaderboard.
CREATE INDEX tickets_kind_resolved ON tickets (kind, resolved_at);

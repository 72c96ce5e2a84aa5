-- Reports: facts about each ticket's life fixed when they happen (first response, business
-- time to respond and resolve, targets met), and a daily rollup of every ticket's contribution
-- to the figures, kept in step with each ticket write, so a dashboard never scans all tickets.

CREATE TABLE ticket_facts (
    ticket_id                BIGINT  PRIMARY KEY REFERENCES tickets (id),
    responded_at             BIGINT,
    response_business_secs   BIGINT,
    response_met             INTEGER,
    resolution_business_secs BIGINT,
    resolution_met           INTEGER,
    reassigned               INTEGER NOT NULL DEFAULT 0,
    cancelled_at             BIGINT
);
INSERT INTO ticket_facts (ticket_id) SELECT id FROM tickets;

-- `day` counts days since 1970-01-01 in the report time zone (report_settings). `filter` is
-- empty for the whole desk, or one dimension's value (`team=5`) for the rows of that view.
CREATE TABLE report_days (
    filter                   TEXT   NOT NULL,
    dim                      TEXT   NOT NULL,
    day                      BIGINT NOT NULL,
    kind                     TEXT   NOT NULL,
    value                    TEXT   NOT NULL,
    created                  BIGINT NOT NULL DEFAULT 0,
    ended                    BIGINT NOT NULL DEFAULT 0,
    resolved                 BIGINT NOT NULL DEFAULT 0,
    reopened                 BIGINT NOT NULL DEFAULT 0,
    first_contact            BIGINT NOT NULL DEFAULT 0,
    resolution_wall_secs     BIGINT NOT NULL DEFAULT 0,
    resolution_business_secs BIGINT NOT NULL DEFAULT 0,
    resolution_measured      BIGINT NOT NULL DEFAULT 0,
    resolution_met           BIGINT NOT NULL DEFAULT 0,
    responded                BIGINT NOT NULL DEFAULT 0,
    response_wall_secs       BIGINT NOT NULL DEFAULT 0,
    response_business_secs   BIGINT NOT NULL DEFAULT 0,
    response_measured        BIGINT NOT NULL DEFAULT 0,
    response_met             BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (filter, kind, dim, day, value)
);

-- The zone `report_days` was built in; a different configured zone rebuilds it.
CREATE TABLE report_settings (
    id        INTEGER PRIMARY KEY,
    time_zone TEXT    NOT NULL
);

-- Outages: incidents of widespread impact on a named service.
CREATE INDEX tickets_outages ON tickets (created_at) WHERE impact = 1 AND service IS NOT NULL;

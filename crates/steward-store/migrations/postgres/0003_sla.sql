-- SLAs: business calendars and the policies that pick targets for tickets. Defaults: a 24×7
-- calendar and a Beijing office calendar; P1 runs around the clock, P2–P5 on office hours.

CREATE TABLE sla_calendars (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT    NOT NULL,
    time_zone  TEXT    NOT NULL,
    -- Seven day specs, Monday first, joined by '|': "09:00-12:00,13:00-18:00|...".
    hours      TEXT    NOT NULL,
    -- Holiday dates, comma-separated: "2026-10-01,2026-10-02".
    holidays   TEXT    NOT NULL DEFAULT '',
    always     BIGINT  NOT NULL DEFAULT 0,
    created_at BIGINT  NOT NULL,
    CONSTRAINT sla_calendars_name_key UNIQUE (name)
);

CREATE TABLE sla_policies (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               TEXT    NOT NULL,
    -- Lower ranks are tried first; the first policy whose conditions match applies.
    rank               BIGINT  NOT NULL,
    kind               TEXT    NOT NULL,
    priority           BIGINT,
    category_id        BIGINT  REFERENCES categories (id),
    calendar_id        BIGINT  NOT NULL REFERENCES sla_calendars (id),
    response_minutes   BIGINT,
    resolution_minutes BIGINT  NOT NULL,
    -- Hold reasons that pause the clock, space-separated.
    pause_reasons      TEXT    NOT NULL DEFAULT 'awaiting_customer awaiting_vendor',
    created_at         BIGINT  NOT NULL,
    CONSTRAINT sla_policies_name_key UNIQUE (name)
);

INSERT INTO sla_calendars (name, time_zone, hours, always, created_at)
VALUES ('24x7', 'UTC', '||||||', 1, 0);
INSERT INTO sla_calendars (name, time_zone, hours, created_at)
VALUES ('Office hours (Beijing)', 'Asia/Shanghai',
        '09:00-12:00,13:00-18:00|09:00-12:00,13:00-18:00|09:00-12:00,13:00-18:00|09:00-12:00,13:00-18:00|09:00-12:00,13:00-18:00||', 0);

INSERT INTO sla_policies (name, rank, kind, priority, calendar_id, response_minutes, resolution_minutes, created_at)
SELECT 'P1 default', 10, 'incident', 1, id, 15, 240, 0 FROM sla_calendars WHERE name = '24x7';
INSERT INTO sla_policies (name, rank, kind, priority, calendar_id, response_minutes, resolution_minutes, created_at)
SELECT 'P2 default', 20, 'incident', 2, id, 30, 480, 0 FROM sla_calendars WHERE name = 'Office hours (Beijing)';
INSERT INTO sla_policies (name, rank, kind, priority, calendar_id, response_minutes, resolution_minutes, created_at)
SELECT 'P3 default', 30, 'incident', 3, id, 120, 1440, 0 FROM sla_calendars WHERE name = 'Office hours (Beijing)';
INSERT INTO sla_policies (name, rank, kind, priority, calendar_id, response_minutes, resolution_minutes, created_at)
SELECT 'P4 default', 40, 'incident', 4, id, 240, 2400, 0 FROM sla_calendars WHERE name = 'Office hours (Beijing)';
INSERT INTO sla_policies (name, rank, kind, priority, calendar_id, response_minutes, resolution_minutes, created_at)
SELECT 'P5 default', 50, 'incident', 5, id, 480, 4800, 0 FROM sla_calendars WHERE name = 'Office hours (Beijing)';

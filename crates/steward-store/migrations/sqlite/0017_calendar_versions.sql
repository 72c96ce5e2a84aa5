-- Earlier definitions of edited SLA calendars (issue 17). Each applied until `valid_until`
-- (ms), so an incident's clock counts the time before an edit as it was counted then, and a
-- changed calendar applies from the change on.
CREATE TABLE sla_calendar_versions (
    calendar_id  BIGINT NOT NULL REFERENCES sla_calendars (id),
    valid_until  BIGINT NOT NULL,
    time_zone    TEXT   NOT NULL,
    hours        TEXT   NOT NULL,
    holidays     TEXT   NOT NULL,
    working_days TEXT   NOT NULL,
    always       BIGINT NOT NULL,
    PRIMARY KEY (calendar_id, valid_until)
);

-- SLA warnings and breaches fire once per ticket, target and threshold: the primary key makes
-- the second node (or a restarted one) find the row and stay quiet.
CREATE TABLE sla_firings (
    ticket_id BIGINT  NOT NULL REFERENCES tickets (id),
    target    TEXT    NOT NULL,
    threshold INTEGER NOT NULL,
    fired_at  BIGINT  NOT NULL,
    PRIMARY KEY (ticket_id, target, threshold)
);

-- In-app notifications.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    ticket_id  BIGINT  REFERENCES tickets (id),
    kind       TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);

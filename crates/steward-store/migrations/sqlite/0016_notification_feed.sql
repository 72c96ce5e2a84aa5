-- Notifications fed from the event log (issue 17). A feed remembers the last event it handled;
-- it starts after the events already written, so an upgrade tells nobody of old news.
CREATE TABLE feed_cursors (
    name TEXT   PRIMARY KEY,
    seq  BIGINT NOT NULL
);
INSERT INTO feed_cursors (name, seq) SELECT 'notifications', COALESCE(MAX(seq), 0) FROM events;

-- Who caused a notification (shown in the reader's language with the ticket), and when it
-- went out in a digest mail.
ALTER TABLE notifications ADD COLUMN actor_name TEXT;
ALTER TABLE notifications ADD COLUMN digested_at BIGINT;

-- Each user's channel per kind of notice: off, app, email (at once) or digest (daily).
-- No row: the kind's default.
CREATE TABLE notification_prefs (
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind    TEXT   NOT NULL,
    channel TEXT   NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Sign-in throttles by key (a typed name, a client address or a device), so an unknown name is
-- throttled exactly like a real one; they replace the per-user counters.
CREATE TABLE login_throttles (
    throttle_key  TEXT   PRIMARY KEY,
    failures      BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Browsers that signed in as a user: their attempts count against the device, not the name.
CREATE TABLE login_devices (
    secret_hash TEXT   PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX login_devices_user ON login_devices (user_id);

ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN login_blocked_until;

-- The CMDB: configuration items of the built-in classes (defined in code) or admin-defined
-- ones (ci_classes), typed attributes as a JSON object of canonical values, typed
-- relationships, and incidents' links to the CIs they affect. History is the event log.

CREATE TABLE ci_classes (
    name       TEXT   PRIMARY KEY,
    -- One attribute per line: name|type|required|unique (1/0).
    attrs      TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE cis (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    class         TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    external_id   TEXT,
    status        TEXT    NOT NULL,
    owner_team_id BIGINT  REFERENCES teams (id),
    criticality   INTEGER NOT NULL,
    attrs         TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    version       BIGINT  NOT NULL DEFAULT 1,
    CONSTRAINT cis_external_id_key UNIQUE (external_id)
);
CREATE INDEX cis_class_name ON cis (class, name, id);
CREATE INDEX cis_name ON cis (name, id);

-- Values of attributes marked unique, so the database refuses a duplicate.
CREATE TABLE ci_unique_values (
    class TEXT   NOT NULL,
    attr  TEXT   NOT NULL,
    value TEXT   NOT NULL,
    ci_id BIGINT NOT NULL REFERENCES cis (id),
    CONSTRAINT ci_unique_values_key PRIMARY KEY (class, attr, value)
);
CREATE INDEX ci_unique_values_ci ON ci_unique_values (ci_id);

CREATE TABLE ci_relations (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       TEXT   NOT NULL,
    from_ci    BIGINT NOT NULL REFERENCES cis (id),
    to_ci      BIGINT NOT NULL REFERENCES cis (id),
    created_at BIGINT NOT NULL,
    CONSTRAINT ci_relations_key UNIQUE (from_ci, to_ci, kind)
);
CREATE INDEX ci_relations_to ON ci_relations (to_ci);

CREATE TABLE ticket_cis (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    ci_id     BIGINT NOT NULL REFERENCES cis (id),
    PRIMARY KEY (ticket_id, ci_id)
);
CREATE INDEX ticket_cis_ci ON ticket_cis (ci_id);

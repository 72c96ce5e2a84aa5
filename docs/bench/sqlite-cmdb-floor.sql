-- What SQLite alone needs to store a million CIs the way `steward import cmdb` stores them: the
-- same tables and indexes (migrations 0001 and 0007), the writer's pragmas, one transaction;
-- each CI with two unique values and one event of a similar size. No parsing, no checks, no
-- driver: the rows are generated inside SQLite. Run on a fresh file:
--   rm -f /tmp/floor.db* && sqlite3 /tmp/floor.db < docs/bench/sqlite-cmdb-floor.sql
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;
CREATE TABLE cis (id INTEGER PRIMARY KEY, class TEXT NOT NULL, name TEXT NOT NULL, external_id TEXT,
    status TEXT NOT NULL, owner_team_id BIGINT, criticality INTEGER NOT NULL, attrs TEXT NOT NULL,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL DEFAULT 1,
    CONSTRAINT cis_external_id_key UNIQUE (external_id));
CREATE INDEX cis_class_name ON cis (class, name, id);
CREATE INDEX cis_name ON cis (name, id);
CREATE TABLE ci_unique_values (class TEXT NOT NULL, attr TEXT NOT NULL, value TEXT NOT NULL,
    ci_id BIGINT NOT NULL, CONSTRAINT ci_unique_values_key PRIMARY KEY (class, attr, value));
CREATE INDEX ci_unique_values_ci ON ci_unique_values (ci_id);
CREATE TABLE events (seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor_id BIGINT, actor_name TEXT NOT NULL,
    entity_type TEXT NOT NULL, entity_id TEXT, action TEXT NOT NULL, before_json TEXT, after_json TEXT,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX events_entity ON events (entity_type, entity_id, seq);
.timer on
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
INSERT INTO cis (class, name, external_id, status, owner_team_id, criticality, attrs, created_at, updated_at)
SELECT 'virtual_machine', 'vm-' || i, 'vm-' || i, 'in_service', NULL, 3,
       '{"hostname":"vm-' || i || '","ip_address":"10.0.' || i || '"}', 1700000000000, 1700000000000 FROM n;
INSERT INTO ci_unique_values SELECT 'virtual_machine', 'hostname', 'vm-' || id, id FROM cis;
INSERT INTO ci_unique_values SELECT 'virtual_machine', 'ip_address', '10.0.' || id, id FROM cis;
INSERT INTO events SELECT id, 1700000000000, NULL, 'system', 'ci', CAST(id AS TEXT), 'create', NULL,
       '{"class":"virtual_machine","name":"vm-' || id || '","external_id":"vm-' || id
       || '","status":"in_service","owner_team_id":null,"criticality":3,"attrs":{"hostname":"vm-' || id
       || '","ip_address":"10.0.0.1"}}',
       hex(randomblob(32)), hex(randomblob(32)) FROM cis;
COMMIT;

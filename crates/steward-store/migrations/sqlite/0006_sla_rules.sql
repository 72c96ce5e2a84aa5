-- SLA policies match on the service and the requester's organisation too, may set a
-- "next update" target, choose their warning thresholds, and reassign on a resolution breach.
ALTER TABLE users ADD COLUMN organisation TEXT;

ALTER TABLE sla_policies ADD COLUMN service TEXT;
ALTER TABLE sla_policies ADD COLUMN organisation TEXT;
ALTER TABLE sla_policies ADD COLUMN update_minutes BIGINT;
-- Percentages of a target at which warnings fire, space-separated; 100 (the breach) always fires.
ALTER TABLE sla_policies ADD COLUMN thresholds TEXT NOT NULL DEFAULT '75';
ALTER TABLE sla_policies ADD COLUMN breach_team_id BIGINT REFERENCES teams (id);

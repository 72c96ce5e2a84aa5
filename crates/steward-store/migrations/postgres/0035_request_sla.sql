-- Service requests get SLA policies of their own (issue 23): a policy of kind `request` may
-- name the catalogue item it applies to.
ALTER TABLE sla_policies ADD COLUMN item_id BIGINT REFERENCES catalogue_items (id);
ALTER TABLE sla_policy_versions ADD COLUMN item_id BIGINT;

-- Requests join the report rollup: forgetting its zone makes the next start rebuild it.
DELETE FROM report_settings;

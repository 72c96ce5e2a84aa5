-- Service requests get SLA policies of their own (issue 23): a policy of kind `request` may
-- name the catalogue item it applies to.
ALTER TABLE sla_policies ADD COLUMN item_id BIGINT REFERENCES catalogue_items (id);
ALTER TABLE sla_policy_versions ADD COLUMN item_id BIGINT;

-- Requests join the report rollup. Requests made before had no report facts: those that
-- ended are answered at their end and, cancelled or rejected, leave the backlog then (as the
-- projection would have recorded); then forgetting the rollup's zone makes the next start
-- rebuild it from these facts.
INSERT INTO ticket_facts (ticket_id, responded_at, cancelled_at)
SELECT id,
       CASE WHEN state IN ('resolved', 'closed', 'cancelled', 'rejected')
            THEN COALESCE(resolved_at, closed_at, updated_at) END,
       CASE WHEN state IN ('cancelled', 'rejected') THEN COALESCE(closed_at, updated_at) END
FROM tickets WHERE kind = 'request'
ON CONFLICT (ticket_id) DO NOTHING;
DELETE FROM report_settings;

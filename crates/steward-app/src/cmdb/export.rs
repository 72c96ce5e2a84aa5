//! CMDB export in the import formats (JSON, or CSV of CIs or of relationships), so an export
//! imports again unchanged.

use std::collections::HashMap;

use serde_json::{Value, json};
use steward_core::cmdb::Edge;
use steward_core::identity::Permission;
use steward_core::ids::{CiId, RelationId};
use steward_store::{CiQuery, CiRecord};

use super::import::CI_COLUMNS;
use crate::{Actor, AppError, Result};

/// How an export names a CI: its external id, or `id:<n>` when it has none.
fn key_of(ci: &CiRecord) -> String {
    ci.external_id.clone().unwrap_or_else(|| format!("id:{}", ci.id))
}

impl crate::Cmdb<'_> {
    /// The CMDB as JSON (`{"cis": […], "relations": […]}`), the import format.
    pub async fn export_json(self, actor: Option<&Actor>) -> Result<Value> {
        if let Some(a) = actor {
            a.require(Permission::ReadCmdb)?;
        }
        let (cis, keys) = self.all_cis().await?;
        let cis: Vec<Value> = cis
            .iter()
            .map(|c| {
                json!({ "external_id": key_of(c), "class": c.class, "name": c.name, "status": c.status.as_str(),
                        "criticality": c.criticality, "attributes": c.attrs })
            })
            .collect();
        let relations: Vec<Value> = self
            .all_relations()
            .await?
            .iter()
            .map(|e| json!({ "from": keys.get(&e.from), "kind": e.kind.as_str(), "to": keys.get(&e.to) }))
            .collect();
        Ok(json!({ "cis": cis, "relations": relations }))
    }

    /// The CIs (or, with `relations`, the relationships) as CSV, the import format.
    pub async fn export_csv(self, actor: Option<&Actor>, relations: bool) -> Result<String> {
        if let Some(a) = actor {
            a.require(Permission::ReadCmdb)?;
        }
        let (cis, keys) = self.all_cis().await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_err = |e: csv::Error| AppError::Internal(e.into());
        if relations {
            w.write_record(["from", "kind", "to"]).map_err(csv_err)?;
            for e in self.all_relations().await? {
                let (from, to) = (
                    keys.get(&e.from).cloned().unwrap_or_default(),
                    keys.get(&e.to).cloned().unwrap_or_default(),
                );
                w.write_record([from.as_str(), e.kind.as_str(), to.as_str()]).map_err(csv_err)?;
            }
        } else {
            let attrs: Vec<String> = cis
                .iter()
                .flat_map(|c| c.attrs.keys().cloned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let header: Vec<&str> =
                CI_COLUMNS.iter().copied().chain(attrs.iter().map(String::as_str)).collect();
            w.write_record(&header).map_err(csv_err)?;
            for c in &cis {
                let mut rec = vec![
                    key_of(c),
                    c.class.clone(),
                    c.name.clone(),
                    c.status.as_str().to_owned(),
                    c.criticality.to_string(),
                ];
                rec.extend(attrs.iter().map(|a| c.attrs.get(a).cloned().unwrap_or_default()));
                w.write_record(&rec).map_err(csv_err)?;
            }
        }
        let bytes = w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))
    }

    async fn all_cis(self) -> Result<(Vec<CiRecord>, HashMap<CiId, String>)> {
        let mut out = Vec::new();
        let mut q = CiQuery { limit: 500, ..CiQuery::default() };
        loop {
            let page = self.store.list_cis(&q).await?;
            let Some(last) = page.last() else { break };
            q.after = Some(last.id);
            out.extend(page);
        }
        let keys = out.iter().map(|c| (c.id, key_of(c))).collect();
        Ok((out, keys))
    }

    async fn all_relations(self) -> Result<Vec<Edge>> {
        let mut out = Vec::new();
        let mut after = RelationId(0);
        loop {
            let page = self.store.list_ci_relations(after, 5_000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            out.extend(page.into_iter().map(|r| r.edge));
        }
        Ok(out)
    }
}

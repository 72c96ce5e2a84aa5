//! CMDB queries → the CIs a run works on, and Ansible inventories built from them (host
//! variables from the CIs' attributes).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use steward_core::ids::CiId;
use steward_core::runbooks::{Action, Context, ParamValue, Runbook, TargetQuery, Values};
use steward_store::{CiQuery, CiRecord};

use crate::{AppError, Result};

/// At most this many hosts in one inventory.
const MAX_TARGETS: usize = 5000;

impl crate::Runbooks<'_> {
    /// Every CI the run may touch: those its `ci` parameters name and those its Ansible steps'
    /// queries select.
    pub(crate) async fn targets(self, runbook: &Runbook, values: &Values) -> Result<Vec<CiRecord>> {
        let mut ids: Vec<CiId> = Vec::new();
        for v in values.values() {
            if let ParamValue::Ci(name) = v
                && let Some(id) = self.store.cis_named(std::slice::from_ref(name)).await?.get(name)
            {
                ids.push(*id);
            }
        }
        for step in runbook.all_steps() {
            if let Action::Ansible { targets, .. } = &step.action {
                ids.extend(self.select(targets, values).await?.iter().map(|c| c.id));
            }
        }
        ids.sort();
        ids.dedup();
        Ok(self.store.cis_by_ids(&ids).await?)
    }

    /// The CIs a query selects (every condition given must hold).
    pub(crate) async fn select(self, q: &TargetQuery, values: &Values) -> Result<Vec<CiRecord>> {
        let mut pool: Option<Vec<CiId>> = None;
        let mut narrow = |ids: Vec<CiId>| {
            pool = Some(match pool.take() {
                None => ids,
                Some(have) => have.into_iter().filter(|i| ids.contains(i)).collect(),
            });
        };
        if let Some(p) = &q.ci_param {
            let name = match values.get(p) {
                Some(ParamValue::Ci(n)) => n.clone(),
                _ => return Ok(Vec::new()),
            };
            narrow(self.store.cis_named(std::slice::from_ref(&name)).await?.into_values().collect());
        }
        for (named, upward) in [(&q.impact_of, true), (&q.service, false)] {
            if let Some(name) = named {
                let start = *self
                    .store
                    .cis_named(std::slice::from_ref(name))
                    .await?
                    .get(name)
                    .ok_or_else(|| AppError::invalid("targets", format!("no CI is named `{name}`")))?;
                let ids = if upward {
                    self.store.downstream_by_cte(start, 5).await?
                } else {
                    self.store.dependencies_by_cte(start, 5).await?
                };
                narrow(ids);
            }
        }
        let mut cis = match pool {
            Some(ids) => self.store.cis_by_ids(&ids).await?,
            None => {
                let mut all = Vec::new();
                let mut after = None;
                loop {
                    let page = self
                        .store
                        .list_cis(&CiQuery { class: q.class.clone(), q: None, after, limit: 1000 })
                        .await?;
                    let done = page.len() < 1000;
                    after = page.last().map(|c| c.id);
                    all.extend(page);
                    if done || all.len() > MAX_TARGETS {
                        break;
                    }
                }
                all
            }
        };
        cis.retain(|c| {
            q.class.as_ref().is_none_or(|k| &c.class == k)
                && q.label.as_ref().is_none_or(|(k, v)| c.attrs.get(k) == Some(v))
        });
        if cis.len() > MAX_TARGETS {
            return Err(AppError::invalid(
                "targets",
                format!("the query selects more than {MAX_TARGETS} CIs"),
            ));
        }
        Ok(cis)
    }
}

/// An inventory (YAML's JSON form) of `cis`: one host per CI named as the CI, its attributes
/// as host variables, `ansible_host` from its address, plus the query's variables for all.
pub(crate) fn inventory(cis: &[CiRecord], vars: &[(String, String)]) -> Value {
    let mut hosts = Map::new();
    for ci in cis {
        let mut h: BTreeMap<String, Value> = ci.attrs.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        if let Some(addr) = ci.attrs.get("ip_address").or_else(|| ci.attrs.get("hostname")) {
            h.entry("ansible_host".into()).or_insert_with(|| json!(addr));
        }
        h.insert("steward_ci_id".into(), json!(ci.id.get()));
        h.insert("steward_class".into(), json!(ci.class));
        h.insert("steward_criticality".into(), json!(ci.criticality));
        hosts.insert(ci.name.clone(), json!(h));
    }
    let mut vars: Map<String, Value> = vars.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    // Run locally, a module runs best on the controller's own Python (what Ansible's docs
    // advise for localhost): interpreter discovery may find a `python3` that is not it.
    if vars.get("ansible_connection").and_then(Value::as_str) == Some("local") {
        vars.entry("ansible_python_interpreter").or_insert_with(|| json!("{{ ansible_playbook_python }}"));
    }
    json!({ "all": { "hosts": hosts, "vars": vars } })
}

/// A query's variables rendered for this run.
pub(crate) fn render_vars(
    q: &TargetQuery,
    ctx: &dyn Context,
) -> std::result::Result<Vec<(String, String)>, String> {
    q.vars.iter().map(|(k, t)| Ok((k.clone(), t.render(ctx)?))).collect()
}

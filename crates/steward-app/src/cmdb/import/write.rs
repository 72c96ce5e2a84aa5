//! Writing a checked import: every CI, unique value, relationship and event in one
//! transaction.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use steward_core::cmdb::{CiEvent, ClassDef, Edge, RelationDetail, RelationType};
use steward_core::events::{Changes, DomainEvent};
use steward_core::ids::CiId;

use super::{CheckedCis, CheckedRelation};
use crate::cmdb::snapshot;
use crate::events::record_many;
use crate::{Actor, App, AppError, Result};

/// CIs per round of inserts (and per progress report).
const CI_CHUNK: usize = 5_000;
/// Relationships per round of inserts.
const RELATION_CHUNK: usize = 20_000;

impl App {
    /// Writes what the checks passed; returns how many relationships were new. `stored` maps
    /// the stored CIs the relationships name outside the file (by external id or `id:<n>`) to
    /// their ids.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn write_import(
        &self,
        actor: Option<&Actor>,
        at: Timestamp,
        classes: &HashMap<String, ClassDef>,
        cis: CheckedCis,
        relations: Vec<CheckedRelation>,
        stored: HashMap<String, CiId>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<usize> {
        let total = cis.new.len() + cis.changed.len() + relations.len();
        // Ids of the relationships' ends (only kept when there are any): stored CIs outside the
        // file, then the file's stored CIs, then the new ones as they are inserted — the file's
        // CIs win, as they did in the checks.
        let keep_ids = !relations.is_empty();
        let mut ids: HashMap<String, CiId> = match keep_ids {
            true => stored.into_iter().chain(cis.existing.iter().map(|(k, c)| (k.clone(), c.id))).collect(),
            false => HashMap::new(),
        };
        let mut tx = self.store.begin().await?;
        let mut done = 0;
        for chunk in cis.new.chunks(CI_CHUNK) {
            let assigned: HashMap<Option<String>, CiId> =
                tx.insert_cis(at, chunk).await?.into_iter().collect();
            let mut unique = Vec::new();
            let mut events = Vec::with_capacity(chunk.len());
            for ci in chunk {
                let id = *assigned.get(&ci.external_id).ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("no id for {:?} after its insert", ci.external_id))
                })?;
                for def in classes[&ci.class].attrs.iter().filter(|a| a.unique) {
                    if let Some(v) = ci.attrs.get(&def.name) {
                        unique.push((ci.class.as_str(), def.name.as_str(), v.as_str(), id));
                    }
                }
                events.push(DomainEvent::Ci { id, event: CiEvent::Created(snapshot(ci)) });
            }
            tx.insert_unique_values(&unique).await?;
            record_many(&mut tx, at, actor, events).await?;
            if keep_ids {
                ids.extend(assigned.into_iter().filter_map(|(k, id)| Some((k?, id))));
            }
            done += chunk.len();
            progress(done, total);
        }
        for (ci, before) in &cis.changed {
            let saved = tx.save_ci(at, ci).await?;
            let class = &classes[&ci.class];
            tx.set_unique_values(saved.id, &class.name, &crate::cmdb::unique_values(class, &saved)).await?;
            // An import records every field on both sides.
            let changes = Changes { before: snapshot(before), after: snapshot(&saved) };
            record_many(
                &mut tx,
                at,
                actor,
                vec![DomainEvent::Ci { id: saved.id, event: CiEvent::Updated(changes) }],
            )
            .await?;
            done += 1;
        }
        progress(done, total);
        let mut added = 0;
        if keep_ids {
            let edges: Vec<Edge> = relations
                .iter()
                .filter_map(|(from, kind, to)| {
                    Some(Edge { from: *ids.get(from)?, to: *ids.get(to)?, kind: *kind })
                })
                .collect();
            drop(ids);
            let touching: Vec<CiId> =
                edges.iter().map(|e| e.from).collect::<HashSet<_>>().into_iter().collect();
            let present: HashSet<(CiId, CiId, RelationType)> = self
                .store
                .edges_touching(&touching)
                .await?
                .into_iter()
                .map(|e| (e.from, e.to, e.kind))
                .collect();
            // In file order, each new edge once.
            let mut once = HashSet::new();
            let fresh: Vec<Edge> = edges
                .into_iter()
                .filter(|e| !present.contains(&(e.from, e.to, e.kind)) && once.insert(*e))
                .collect();
            for chunk in fresh.chunks(RELATION_CHUNK) {
                added += tx.insert_ci_relations(at, chunk).await? as usize;
                let events = chunk
                    .iter()
                    .map(|e| {
                        let detail =
                            RelationDetail { relation_id: None, kind: e.kind, from: e.from, to: e.to };
                        DomainEvent::Ci { id: e.from, event: CiEvent::Related(detail) }
                    })
                    .collect();
                record_many(&mut tx, at, actor, events).await?;
                done += chunk.len();
                progress(done.min(total), total);
            }
        }
        tx.commit().await?;
        Ok(added)
    }
}

//! Impact analysis over the CI graph and a CI as it was on a past date.

use jiff::Timestamp;
use steward_core::cmdb::{CiEvent, CiField, Direction, Hit, ImpactWalk, RelationDetail};
use steward_core::events::{DomainEvent, Fields};
use steward_core::identity::Permission;
use steward_core::ids::{CiId, TicketId};
use steward_store::{CiRecord, EventFilter};

use super::{ENTITY, snapshot};
use crate::{Actor, AppError, Result};

/// The most CIs one impact query reaches before it stops (and says so).
const IMPACT_LIMIT: usize = 5_000;

/// The most CI-steps, and edges, the one-query neighbourhood of a walk may hold.
const NEIGHBOURHOOD_CAP: i64 = 20_000;

/// One CI the walk reached.
#[derive(Debug, Clone)]
pub struct ImpactHit {
    pub hit: Hit,
    pub ci: CiRecord,
}

/// What a CI's failure reaches (or what it relies on), and what that means for the business.
#[derive(Debug, Clone)]
pub struct CiImpact {
    pub start: CiRecord,
    pub hits: Vec<ImpactHit>,
    /// The business services among the hits.
    pub services: Vec<CiRecord>,
    /// Open incidents on the start or any hit: (CI id, ticket id, number, title, priority).
    pub incidents: Vec<(CiId, TicketId, String, String, i64)>,
    pub truncated: bool,
    /// The CIs and relationships the walk crossed, for drawing: (from, to, kind).
    pub edges: Vec<(CiId, CiId, &'static str)>,
    /// Changes on the start or any hit from a day ago to 90 days ahead, soonest first:
    /// (CI id, change id, number, planned or actual start).
    pub changes: Vec<(CiId, TicketId, String, Timestamp)>,
}

impl crate::Cmdb<'_> {
    /// Walks the graph from CI `id` in `direction` up to `depth` steps.
    pub async fn impact(self, actor: &Actor, id: CiId, direction: &str, depth: u32) -> Result<CiImpact> {
        actor.require(Permission::ReadCmdb)?;
        let direction = Direction::parse(direction).ok_or_else(|| {
            AppError::invalid(
                "direction",
                format!("`{direction}` is not a direction: upstream, downstream or both"),
            )
        })?;
        if !(1..=10).contains(&depth) {
            return Err(AppError::invalid("depth", "depth is 1 to 10"));
        }
        let start = self.store.ci(id).await?.ok_or(AppError::NotFound("CI"))?;
        let walk = self.walk(id, direction, depth).await?;
        let hits = walk.hits();
        let ids: Vec<CiId> = hits.iter().map(|h| h.ci).collect();
        let mut cis: std::collections::HashMap<CiId, CiRecord> =
            self.store.cis_by_ids(&ids).await?.into_iter().map(|c| (c.id, c)).collect();
        let edges = hits
            .iter()
            .filter_map(|h| {
                h.path.last().map(|s| {
                    if s.forward { (s.ci, h.ci, s.kind.as_str()) } else { (h.ci, s.ci, s.kind.as_str()) }
                })
            })
            .collect();
        let hits: Vec<ImpactHit> =
            hits.into_iter().filter_map(|h| cis.remove(&h.ci).map(|ci| ImpactHit { hit: h, ci })).collect();
        let services =
            hits.iter().filter(|h| h.ci.class == "business_service").map(|h| h.ci.clone()).collect();
        let mut on: Vec<CiId> = vec![id];
        on.extend(hits.iter().map(|h| h.ci.id));
        let incidents = self.store.open_incidents_on(&on).await?;
        let now = self.now();
        let day = jiff::SignedDuration::from_hours(24);
        let mut changes: Vec<(CiId, TicketId, String, Timestamp)> = self
            .store
            .changes_on_cis_between(&on, now - day, now + day * 90)
            .await?
            .into_iter()
            .map(|(t, n, c, at)| (c, t, n, at))
            .collect();
        changes.sort_by_key(|c| c.3);
        Ok(CiImpact { start, hits, services, incidents, truncated: walk.truncated(), edges, changes })
    }

    /// What `start` relies on, `depth` relationships out (its upstream, without it).
    pub(crate) async fn relies_on(self, start: CiId, depth: u32) -> Result<Vec<CiId>> {
        Ok(self.walk(start, Direction::Upstream, depth).await?.hits().iter().map(|h| h.ci).collect())
    }

    /// The walk from `start`: over its whole neighbourhood fetched in one query, or level by
    /// level when that neighbourhood is too big to fetch at once.
    async fn walk(self, start: CiId, direction: Direction, depth: u32) -> Result<ImpactWalk> {
        let mut walk = ImpactWalk::new(&[start], direction, depth, IMPACT_LIMIT);
        if let Some(edges) = self.store.edges_near(start, direction, depth, NEIGHBOURHOOD_CAP).await? {
            walk.run(&edges);
        }
        while !walk.frontier().is_empty() {
            let edges = self.store.edges_touching(walk.frontier()).await?;
            walk.expand(&edges);
        }
        Ok(walk)
    }

    /// The CI as it was at `at`, replayed from its events; `None` before it existed.
    pub async fn as_of(self, actor: &Actor, id: CiId, at: Timestamp) -> Result<Option<CiAsOf>> {
        actor.require(Permission::ReadCmdb)?;
        let current = self.store.ci(id).await?.ok_or(AppError::NotFound("CI"))?;
        let filter = EventFilter {
            entity_type: Some(ENTITY.into()),
            entity_id: Some(id.to_string()),
            before_seq: None,
            limit: 10_000,
        };
        let mut events = self.store.list_events(&filter).await?;
        events.reverse();
        let mut fields: Option<Fields<CiField>> = None;
        let mut relations: Vec<RelationDetail> = Vec::new();
        for e in events.iter().filter(|e| e.at() <= at) {
            let DomainEvent::Ci { event, .. } = e.domain().map_err(steward_store::StoreError::from)? else {
                continue;
            };
            match event {
                CiEvent::Created(f) => fields = Some(f),
                CiEvent::Updated(changes) => {
                    if let Some(f) = fields.as_mut() {
                        f.apply(&changes.after);
                    }
                }
                CiEvent::Related(r) => relations.push(r),
                // An imported relationship has no id recorded, so no removal matches it.
                CiEvent::Unrelated(r) => relations.retain(|x| x.relation_id != r.relation_id),
            }
        }
        // A CI created before its history was recorded (none today) reads as it is now.
        let fields =
            fields.or_else(|| (events.is_empty() && current.created_at <= at).then(|| snapshot(&current)));
        Ok(fields.map(|fields| CiAsOf { fields, relations }))
    }
}

/// A CI as it was at some instant: its fields and the relationships it had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiAsOf {
    pub fields: Fields<CiField>,
    pub relations: Vec<RelationDetail>,
}

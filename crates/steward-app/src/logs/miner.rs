//! This node's template miner and the stored templates its ids stand for.
//!
//! The miner lives in memory (one per node, behind one lock: a batch is mined, stored and
//! mapped in order); on first use it is seeded with the stored templates' texts, so a restart
//! keeps templates and their ids. Nodes share templates through the database: a text is one
//! row whichever node saw it first.

use std::collections::HashMap;

use steward_aiops::{Change, Miner, TemplateId};

use crate::Result;

/// How many stored templates a node starts from (the most recently seen).
const SEED_LIMIT: i64 = 100_000;

#[derive(Default)]
pub(crate) struct MinerState {
    pub miner: Miner,
    /// Miner template → stored template id.
    pub stored: HashMap<TemplateId, i64>,
    seeded: bool,
}

impl std::fmt::Debug for MinerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MinerState")
            .field("stored", &self.stored.len())
            .field("seeded", &self.seeded)
            .finish()
    }
}

impl MinerState {
    pub async fn seed(&mut self, store: &steward_store::Store) -> Result<()> {
        if self.seeded {
            return Ok(());
        }
        for (id, text) in store.log_template_texts(SEED_LIMIT).await? {
            let t = self.miner.seed(&text);
            self.stored.entry(t).or_insert(id);
        }
        self.miner.take_changes();
        self.seeded = true;
        Ok(())
    }

    /// The stored template of a miner template, if it has one.
    pub fn stored_id(&self, t: TemplateId) -> Option<i64> {
        self.stored.get(&self.miner.resolve(t)).copied()
    }
}

/// What the miner's merges and renames mean for stored templates: `(from, into)` merges and
/// `(id, text)` renames, in order; the map is updated as if they were applied.
pub(crate) fn plan_changes(state: &mut MinerState, changes: Vec<Change>) -> Vec<StoredChange> {
    let mut out = Vec::new();
    for change in changes {
        match change {
            Change::Merged { from, into } => {
                match (state.stored.get(&from).copied(), state.stored.get(&into).copied()) {
                    (Some(a), Some(b)) if a != b => out.push(StoredChange::Merge { from: a, into: b }),
                    (Some(a), None) => {
                        state.stored.insert(into, a);
                    }
                    _ => {}
                }
            }
            Change::Renamed { template, text } => {
                if let Some(id) = state.stored.get(&template).copied() {
                    out.push(StoredChange::Rename { id, text });
                }
            }
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredChange {
    Merge { from: i64, into: i64 },
    Rename { id: i64, text: String },
}

//! CMDB import: CSV (one file of CIs, or one of relationships) and JSON (both), a dry run,
//! every bad row reported (row, column, reason) and nothing written unless all rows are good.
//! Rows are keyed by external id, so importing the same file again changes nothing. Export
//! writes the same formats (`export.rs`).
//!
//! An import of a million CIs holds the whole file in memory, so the checks consume the rows
//! as they go and keep one record per new CI (a changed one also keeps its stored version): on
//! this kind of machine fresh memory costs more than the work done in it (a page fault zeroes
//! each new page).

mod parse;
mod write;

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use steward_core::cmdb::{CiStatus, ClassDef, RelationType};
use steward_core::identity::Permission;
use steward_core::ids::CiId;
use steward_store::CiRecord;

pub(crate) use parse::CI_COLUMNS;
use parse::row_err;
pub use parse::{CiRow, ImportFile, RelationRow, RowError, parse_any, parse_csv, parse_json};

use super::snapshot;
use crate::{Actor, Result};

/// Rows after which an import refreshes the planner's statistics (see
/// [`steward_store::Store::refresh_cmdb_statistics`]).
const BIG_IMPORT: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub relations_added: usize,
    pub errors: Vec<RowError>,
    pub dry_run: bool,
}

/// The CI rows once checked: what to insert, what to update, and what is stored already.
struct CheckedCis {
    /// New CIs in file order (ids not yet assigned).
    new: Vec<CiRecord>,
    /// Stored CIs the file changes: (as the file has it, as stored).
    changed: Vec<(CiRecord, CiRecord)>,
    /// Stored CIs the file names, by external id.
    existing: HashMap<String, CiRecord>,
    unchanged: usize,
}

/// A relationship row once checked: (from, type, to), the ends as the file names them.
type CheckedRelation = (String, RelationType, String);

impl crate::Cmdb<'_> {
    /// Imports `file`; with `dry_run` (or any bad row) nothing is written. `progress` hears
    /// (rows written, rows to write). `actor` is `None` for the command line on the server.
    pub async fn import(
        self,
        actor: Option<&Actor>,
        file: ImportFile,
        dry_run: bool,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<ImportReport> {
        if let Some(a) = actor {
            a.require(Permission::WriteCmdb)?;
        }
        let mut report = ImportReport { dry_run, ..ImportReport::default() };
        let classes: HashMap<String, ClassDef> =
            self.all_classes().await?.into_iter().map(|c| (c.name.clone(), c)).collect();
        let at = self.now();
        let ImportFile { cis, relations } = file;
        let cis = self.check_cis(cis, &classes, at, &mut report).await?;
        let (relations, stored) = self.check_relations(&relations, &cis, &mut report).await?;
        report.errors.sort_by_key(|e| e.row);
        report.created = cis.new.len();
        report.updated = cis.changed.len();
        report.unchanged = cis.unchanged;
        if dry_run || !report.errors.is_empty() {
            report.relations_added = relations.len();
            return Ok(report);
        }
        let total = cis.new.len() + cis.changed.len() + relations.len();
        report.relations_added =
            self.write_import(actor, at, &classes, cis, relations, stored, progress).await?;
        if total >= BIG_IMPORT {
            self.store.refresh_cmdb_statistics().await?;
        }
        Ok(report)
    }

    /// Checks every CI row — external id, class, attributes, name, status, criticality, unique
    /// values in the file and in the database, references — and sorts the good ones into new,
    /// changed and unchanged.
    async fn check_cis(
        self,
        rows: Vec<CiRow>,
        classes: &HashMap<String, ClassDef>,
        at: Timestamp,
        report: &mut ImportReport,
    ) -> Result<CheckedCis> {
        let keys: Vec<&str> = rows.iter().map(|c| c.external_id.trim()).filter(|k| !k.is_empty()).collect();
        let existing: HashMap<String, CiRecord> = self
            .store
            .cis_by_external_ids(&keys)
            .await?
            .into_iter()
            .filter_map(|c| c.external_id.clone().map(|k| (k, c)))
            .collect();
        drop(keys);
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(rows.len());
        // (class, unique attribute, value) → (row, external id of the CI claiming it).
        let mut claimed: HashMap<(&str, &str, String), (usize, String)> = HashMap::new();
        // (row, attribute, class it must be, CI id) of each reference by id.
        let mut refs: Vec<(usize, String, String, CiId)> = Vec::new();
        let mut checked = CheckedCis {
            new: Vec::with_capacity(rows.len()),
            changed: Vec::new(),
            existing: HashMap::new(),
            unchanged: 0,
        };
        // The stored CIs the file keeps (changed or not), so their own unique values are theirs.
        let mut own: HashMap<CiId, String> = HashMap::new();
        for row in rows {
            let key = row.external_id.trim().to_owned();
            if key.is_empty() {
                report.errors.push(row_err(
                    row.row,
                    "external_id",
                    "required: it makes re-imports update instead of duplicating",
                ));
                continue;
            }
            if let Err(e) = super::check_external_id(&key) {
                report.errors.push(row_err(row.row, "external_id", e.to_string()));
                continue;
            }
            if let Some(first) = seen.insert(key.clone(), row.row) {
                report.errors.push(row_err(
                    row.row,
                    "external_id",
                    format!("`{key}` is also on row {first}"),
                ));
                continue;
            }
            let Some(class) = classes.get(row.class.trim()) else {
                report.errors.push(row_err(row.row, "class", format!("unknown class `{}`", row.class)));
                continue;
            };
            let values = match class.validate(&row.attrs) {
                Ok(v) => v,
                Err(e) => {
                    report.errors.push(row_err(row.row, &e.attr, e.reason));
                    continue;
                }
            };
            let name = match super::parse_name(&row.name) {
                Ok(n) => n,
                Err(e) => {
                    report.errors.push(row_err(row.row, "name", e.to_string()));
                    continue;
                }
            };
            let status = match CiStatus::parse(row.status.as_deref().unwrap_or("in_service")) {
                Ok(s) => s,
                Err(e) => {
                    report.errors.push(row_err(row.row, "status", e));
                    continue;
                }
            };
            let criticality = match row.criticality.as_deref().map(str::parse::<i64>).unwrap_or(Ok(3)) {
                Ok(c) if (1..=5).contains(&c) => c,
                _ => {
                    report.errors.push(row_err(row.row, "criticality", "criticality is 1 (highest) to 5"));
                    continue;
                }
            };
            let before = existing.get(&key);
            if let Some(b) = before
                && b.class != class.name
            {
                report.errors.push(row_err(row.row, "class", format!("`{key}` is already a {}", b.class)));
                continue;
            }
            let mut bad = false;
            for def in class.attrs.iter().filter(|a| a.unique) {
                if let Some(v) = values.get(&def.name) {
                    let slot = (class.name.as_str(), def.name.as_str(), v.0.clone());
                    if let Some((other, _)) = claimed.insert(slot, (row.row, key.clone())) {
                        report.errors.push(row_err(
                            row.row,
                            &def.name,
                            format!("`{}` is also on row {other}", v.0),
                        ));
                        bad = true;
                    }
                }
            }
            if bad {
                continue;
            }
            for (attr, class, id) in class.references(&values) {
                refs.push((row.row, attr.to_owned(), class.to_owned(), id));
            }
            let ci = CiRecord {
                id: before.map_or(CiId(0), |b| b.id),
                class: class.name.clone(),
                name,
                external_id: Some(key),
                status,
                owner_team_id: before.and_then(|b| b.owner_team_id),
                criticality,
                attrs: values.into_iter().map(|(k, v)| (k, v.0)).collect(),
                created_at: at,
                updated_at: at,
                version: before.map_or(1, |b| b.version),
            };
            match before {
                None => checked.new.push(ci),
                Some(b) => {
                    own.insert(b.id, b.external_id.clone().unwrap_or_default());
                    if snapshot(&ci) == snapshot(b) {
                        checked.unchanged += 1;
                    } else {
                        checked.changed.push((ci, b.clone()));
                    }
                }
            }
        }
        drop(seen);
        // Unique values held in the database by a CI this file does not own.
        let mut by_attr: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
        for (class, attr, value) in claimed.keys() {
            by_attr.entry((class, attr)).or_default().push(value);
        }
        for ((class, attr), values) in by_attr {
            for (value, owner) in self.store.unique_value_owners(class, attr, &values).await? {
                let (row, key) = &claimed[&(class, attr, value.clone())];
                if own.get(&owner) != Some(key) {
                    report.errors.push(row_err(
                        *row,
                        attr,
                        format!("`{value}` already belongs to CI {owner}"),
                    ));
                }
            }
        }
        // References to CIs by id must exist and be of the right class.
        if !refs.is_empty() {
            let ids: Vec<CiId> = refs.iter().map(|r| r.3).collect::<HashSet<_>>().into_iter().collect();
            let found: HashMap<CiId, String> =
                self.store.cis_by_ids(&ids).await?.into_iter().map(|c| (c.id, c.class)).collect();
            for (row, attr, class, id) in refs {
                match found.get(&id) {
                    None => report.errors.push(row_err(row, &attr, format!("there is no CI {id}"))),
                    Some(c) if !class.is_empty() && *c != class => {
                        report.errors.push(row_err(row, &attr, format!("CI {id} is a {c}, not a {class}")));
                    }
                    _ => {}
                }
            }
        }
        checked.existing = existing;
        Ok(checked)
    }

    /// Checks every relationship row: both ends known (in this file or already stored), the
    /// type allowed between their classes. Returns the good rows and the stored CIs the rows
    /// name that are not in the file: (external id or `id:<n>`) → id.
    async fn check_relations(
        self,
        rows: &[RelationRow],
        cis: &CheckedCis,
        report: &mut ImportReport,
    ) -> Result<(Vec<CheckedRelation>, HashMap<String, CiId>)> {
        if rows.is_empty() {
            return Ok((Vec::new(), HashMap::new()));
        }
        let in_file: HashMap<&str, &str> = cis
            .new
            .iter()
            .chain(cis.changed.iter().map(|(c, _)| c))
            .chain(cis.existing.values())
            .map(|c| (c.external_id.as_deref().unwrap_or(""), c.class.as_str()))
            .collect();
        let named: Vec<&str> = rows
            .iter()
            .flat_map(|r| [r.from.trim(), r.to.trim()])
            .filter(|k| !in_file.contains_key(k) && !k.starts_with("id:"))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut stored: HashMap<String, (CiId, String)> = self
            .store
            .cis_by_external_ids(&named)
            .await?
            .into_iter()
            .filter_map(|c| c.external_id.clone().map(|k| (k, (c.id, c.class))))
            .collect();
        let by_id: Vec<CiId> = rows
            .iter()
            .flat_map(|r| [&r.from, &r.to])
            .filter_map(|k| k.trim().strip_prefix("id:")?.parse().ok())
            .collect();
        for c in self.store.cis_by_ids(&by_id).await? {
            stored.insert(format!("id:{}", c.id), (c.id, c.class));
        }
        let mut relations = Vec::new();
        for r in rows {
            let kind = match RelationType::parse(&r.kind) {
                Ok(k) => k,
                Err(e) => {
                    report.errors.push(row_err(r.row, "kind", e));
                    continue;
                }
            };
            let class_of = |k: &str| in_file.get(k).copied().or_else(|| stored.get(k).map(|s| s.1.as_str()));
            let (from, to) = (r.from.trim(), r.to.trim());
            match (class_of(from), class_of(to)) {
                (None, _) => report.errors.push(row_err(
                    r.row,
                    "from",
                    format!("no CI `{from}` in the file or the CMDB"),
                )),
                (_, None) => {
                    report.errors.push(row_err(r.row, "to", format!("no CI `{to}` in the file or the CMDB")))
                }
                (Some(a), Some(b)) => match kind.check(a, b) {
                    Err(e) => report.errors.push(row_err(r.row, "kind", e)),
                    Ok(()) if from == to => {
                        report.errors.push(row_err(r.row, "to", "a CI cannot be related to itself"))
                    }
                    Ok(()) => relations.push((from.to_owned(), kind, to.to_owned())),
                },
            }
        }
        Ok((relations, stored.into_iter().map(|(k, (id, _))| (k, id)).collect()))
    }
}

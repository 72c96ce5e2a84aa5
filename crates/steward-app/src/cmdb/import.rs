//! CMDB import: CSV (one file of CIs, or one of relationships) and JSON (both), a dry run,
//! every bad row reported (row, column, reason) and nothing written unless all rows are good.
//! Rows are keyed by external id, so importing the same file again changes nothing. Export
//! writes the same formats (`export.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};
use steward_core::cmdb::{CiStatus, ClassDef, Edge, RawValue, RelationType};
use steward_core::identity::Permission;
use steward_store::{CiRecord, NewEvent};

use super::{ENTITY, snapshot};
use crate::{Actor, App, AppError, Result};

/// One CI row of an import file.
#[derive(Debug, Clone, Default)]
pub struct CiRow {
    /// 1-based, counting the header as row 1 in CSV; the position in the list in JSON.
    pub row: usize,
    pub external_id: String,
    pub class: String,
    pub name: String,
    pub status: Option<String>,
    pub criticality: Option<String>,
    pub attrs: BTreeMap<String, RawValue>,
}

/// One relationship row: CIs named by external id (or `id:<n>`).
#[derive(Debug, Clone, Default)]
pub struct RelationRow {
    pub row: usize,
    pub from: String,
    pub kind: String,
    pub to: String,
}

#[derive(Debug, Clone, Default)]
pub struct ImportFile {
    pub cis: Vec<CiRow>,
    pub relations: Vec<RelationRow>,
}

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

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

fn row_err(row: usize, column: &str, reason: impl Into<String>) -> RowError {
    RowError { row, column: column.to_owned(), reason: reason.into() }
}

pub(super) const CI_COLUMNS: [&str; 5] = ["external_id", "class", "name", "status", "criticality"];

/// Reads a CSV file: CIs (`external_id,class,name[,status,criticality],<attribute>…`) or, when
/// the header is `from,kind,to`, relationships.
pub fn parse_csv(text: &str) -> std::result::Result<ImportFile, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| vec![row_err(1, "", format!("unreadable header: {e}"))])?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut file = ImportFile::default();
    let mut errors = Vec::new();
    let relations = header == ["from", "kind", "to"];
    if !relations {
        for required in ["external_id", "class", "name"] {
            if !header.iter().any(|h| h == required) {
                errors.push(row_err(1, required, "missing column (or use `from,kind,to` for relationships)"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
    }
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(row_err(row, "", format!("unreadable row: {e}")));
                continue;
            }
        };
        let get = |name: &str| {
            header.iter().position(|h| h == name).and_then(|p| record.get(p)).unwrap_or_default()
        };
        if relations {
            file.relations.push(RelationRow {
                row,
                from: get("from").into(),
                kind: get("kind").into(),
                to: get("to").into(),
            });
            continue;
        }
        let attrs = header
            .iter()
            .zip(record.iter())
            .filter(|(h, v)| !CI_COLUMNS.contains(&h.as_str()) && !v.is_empty())
            .map(|(h, v)| (h.clone(), RawValue::Text(v.to_owned())))
            .collect();
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        file.cis.push(CiRow {
            row,
            external_id: get("external_id").into(),
            class: get("class").into(),
            name: get("name").into(),
            status: optional(get("status")),
            criticality: optional(get("criticality")),
            attrs,
        });
    }
    if errors.is_empty() { Ok(file) } else { Err(errors) }
}

/// Reads `{"cis": [...], "relations": [...]}`.
pub fn parse_json(text: &str) -> std::result::Result<ImportFile, Vec<RowError>> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| vec![row_err(e.line(), "", format!("not JSON: {e}"))])?;
    let mut file = ImportFile::default();
    let mut errors = Vec::new();
    let text_of = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    for (i, ci) in doc["cis"].as_array().into_iter().flatten().enumerate() {
        let row = i + 1;
        let mut attrs = BTreeMap::new();
        for (k, v) in ci["attributes"].as_object().into_iter().flatten() {
            let value = match v {
                Value::String(s) => RawValue::Text(s.clone()),
                Value::Number(n) => RawValue::Number(n.as_f64().unwrap_or(f64::NAN)),
                Value::Bool(b) => RawValue::Bool(*b),
                Value::Null => continue,
                _ => {
                    errors.push(row_err(row, k, "give a string, number or boolean"));
                    continue;
                }
            };
            attrs.insert(k.clone(), value);
        }
        file.cis.push(CiRow {
            row,
            external_id: text_of(&ci["external_id"]).unwrap_or_default(),
            class: text_of(&ci["class"]).unwrap_or_default(),
            name: text_of(&ci["name"]).unwrap_or_default(),
            status: text_of(&ci["status"]),
            criticality: text_of(&ci["criticality"]),
            attrs,
        });
    }
    for (i, r) in doc["relations"].as_array().into_iter().flatten().enumerate() {
        file.relations.push(RelationRow {
            row: i + 1,
            from: text_of(&r["from"]).unwrap_or_default(),
            kind: text_of(&r["kind"]).unwrap_or_default(),
            to: text_of(&r["to"]).unwrap_or_default(),
        });
    }
    if errors.is_empty() { Ok(file) } else { Err(errors) }
}

impl App {
    /// Imports `file`; with `dry_run` (or any bad row) nothing is written. `progress` hears
    /// (rows written, rows to write). `actor` is `None` for the command line on the server.
    pub async fn import_cmdb(
        &self,
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
        let keys: Vec<String> =
            file.cis.iter().map(|c| c.external_id.trim().to_owned()).filter(|k| !k.is_empty()).collect();
        let existing: HashMap<String, CiRecord> = self
            .store
            .cis_by_external_ids(&keys)
            .await?
            .into_iter()
            .filter_map(|c| c.external_id.clone().map(|k| (k, c)))
            .collect();
        let at = self.now();
        // Validate every row; collect what each would store.
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut claimed: HashMap<(String, String, String), (usize, String)> = HashMap::new();
        let mut prepared: Vec<(usize, CiRecord, Option<CiRecord>)> = Vec::new();
        for row in &file.cis {
            let key = row.external_id.trim().to_owned();
            if key.is_empty() {
                report.errors.push(row_err(
                    row.row,
                    "external_id",
                    "required: it makes re-imports update instead of duplicating",
                ));
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
            let before = existing.get(&key).cloned();
            if let Some(b) = &before
                && b.class != class.name
            {
                report.errors.push(row_err(row.row, "class", format!("`{key}` is already a {}", b.class)));
                continue;
            }
            let mut bad = false;
            for def in class.attrs.iter().filter(|a| a.unique) {
                if let Some(v) = values.get(&def.name) {
                    let slot = (class.name.clone(), def.name.clone(), v.0.clone());
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
            let ci = CiRecord {
                id: before.as_ref().map_or(0, |b| b.id),
                class: class.name.clone(),
                name,
                external_id: Some(key),
                status,
                owner_team_id: before.as_ref().and_then(|b| b.owner_team_id),
                criticality,
                attrs: values.into_iter().map(|(k, v)| (k, v.0)).collect(),
                created_at: at,
                updated_at: at,
                version: before.as_ref().map_or(1, |b| b.version),
            };
            prepared.push((row.row, ci, before));
        }
        // Unique values held in the database by a CI this file does not own.
        let mut by_attr: HashMap<(String, String), Vec<String>> = HashMap::new();
        for (class, attr, value) in claimed.keys() {
            by_attr.entry((class.clone(), attr.clone())).or_default().push(value.clone());
        }
        let own: HashMap<i64, &str> = prepared
            .iter()
            .filter(|(_, c, _)| c.id != 0)
            .map(|(_, c, _)| (c.id, c.external_id.as_deref().unwrap_or("")))
            .collect();
        for ((class, attr), values) in by_attr {
            for (value, owner) in self.store.unique_value_owners(&class, &attr, &values).await? {
                let (row, key) = &claimed[&(class.clone(), attr.clone(), value.clone())];
                if own.get(&owner) != Some(&key.as_str()) {
                    report.errors.push(row_err(
                        *row,
                        &attr,
                        format!("`{value}` already belongs to CI {owner}"),
                    ));
                }
            }
        }
        // References to CIs by id must exist and be of the right class.
        let mut refs: Vec<(usize, String, String, i64)> = Vec::new();
        for (row, ci, _) in &prepared {
            let values =
                ci.attrs.iter().map(|(k, v)| (k.clone(), steward_core::cmdb::AttrValue(v.clone()))).collect();
            for (attr, class, id) in classes[&ci.class].references(&values) {
                refs.push((*row, attr.to_owned(), class.to_owned(), id));
            }
        }
        if !refs.is_empty() {
            let ids: Vec<i64> = refs.iter().map(|r| r.3).collect::<HashSet<_>>().into_iter().collect();
            let found: HashMap<i64, String> =
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
        // Relationships: both ends known (in this file or already stored), the type fits.
        let in_file: HashMap<&str, &str> = prepared
            .iter()
            .map(|(_, c, _)| (c.external_id.as_deref().unwrap_or(""), c.class.as_str()))
            .collect();
        let named: Vec<String> = file
            .relations
            .iter()
            .flat_map(|r| [r.from.trim().to_owned(), r.to.trim().to_owned()])
            .filter(|k| !in_file.contains_key(k.as_str()) && !k.starts_with("id:"))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut stored: HashMap<String, (i64, String)> = self
            .store
            .cis_by_external_ids(&named)
            .await?
            .into_iter()
            .filter_map(|c| c.external_id.clone().map(|k| (k, (c.id, c.class))))
            .collect();
        let by_id: Vec<i64> = file
            .relations
            .iter()
            .flat_map(|r| [&r.from, &r.to])
            .filter_map(|k| k.trim().strip_prefix("id:")?.parse().ok())
            .collect();
        for c in self.store.cis_by_ids(&by_id).await? {
            stored.insert(format!("id:{}", c.id), (c.id, c.class));
        }
        let mut relations: Vec<(usize, String, RelationType, String)> = Vec::new();
        for r in &file.relations {
            let kind = match RelationType::parse(&r.kind) {
                Ok(k) => k,
                Err(e) => {
                    report.errors.push(row_err(r.row, "kind", e));
                    continue;
                }
            };
            let class_of = |k: &str| {
                in_file.get(k).map(|c| (*c).to_owned()).or_else(|| stored.get(k).map(|s| s.1.clone()))
            };
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
                (Some(a), Some(b)) => match kind.check(&a, &b) {
                    Err(e) => report.errors.push(row_err(r.row, "kind", e)),
                    Ok(()) if from == to => {
                        report.errors.push(row_err(r.row, "to", "a CI cannot be related to itself"))
                    }
                    Ok(()) => relations.push((r.row, from.to_owned(), kind, to.to_owned())),
                },
            }
        }
        report.errors.sort_by_key(|e| e.row);
        let (new, changed): (Vec<_>, Vec<_>) =
            prepared.into_iter().map(|(_, c, b)| (c, b)).partition(|(c, _)| c.id == 0);
        let changed: Vec<(CiRecord, CiRecord)> = changed
            .into_iter()
            .filter_map(|(c, b)| b.map(|b| (c, b)))
            .filter(|(c, b)| {
                let same = snapshot(c) == snapshot(b);
                if same {
                    report.unchanged += 1;
                }
                !same
            })
            .collect();
        report.created = new.len();
        report.updated = changed.len();
        if dry_run || !report.errors.is_empty() {
            report.relations_added = relations.len();
            return Ok(report);
        }
        // All good: one transaction.
        let total = new.len() + changed.len() + relations.len();
        let (actor_id, actor_name) = match actor {
            Some(a) => (Some(a.user.id), a.user.username.to_string()),
            None => (None, "system".to_owned()),
        };
        let event = |id: i64, action: &'static str, before: Option<Value>, after: Option<Value>| NewEvent {
            actor_id,
            actor_name: actor_name.clone(),
            entity_type: ENTITY,
            entity_id: Some(id.to_string()),
            action,
            before,
            after,
        };
        let mut tx = self.store.begin().await?;
        let mut done = 0;
        let mut ids: HashMap<String, i64> = stored.into_iter().map(|(k, (id, _))| (k, id)).collect();
        for chunk in new.chunks(5_000) {
            let cis: Vec<CiRecord> = chunk.iter().map(|(c, _)| c.clone()).collect();
            let assigned: HashMap<String, i64> = tx.insert_cis(at, &cis).await?.into_iter().collect();
            let mut unique = Vec::new();
            let mut events = Vec::with_capacity(cis.len());
            for ci in &cis {
                let key = ci.external_id.clone().unwrap_or_default();
                let id = *assigned
                    .get(&key)
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no id for {key}")))?;
                for def in classes[&ci.class].attrs.iter().filter(|a| a.unique) {
                    if let Some(v) = ci.attrs.get(&def.name) {
                        unique.push((ci.class.clone(), def.name.clone(), v.clone(), id));
                    }
                }
                events.push(event(id, "create", None, Some(snapshot(&CiRecord { id, ..ci.clone() }))));
                ids.insert(key, id);
            }
            tx.insert_unique_values(&unique).await?;
            tx.append_events(at, events).await?;
            done += cis.len();
            progress(done, total);
        }
        for (ci, before) in &changed {
            let saved = tx.save_ci(at, ci).await?;
            let class = &classes[&ci.class];
            tx.set_unique_values(saved.id, &class.name, &super::unique_values(class, &saved)).await?;
            tx.append_events(
                at,
                vec![event(saved.id, "update", Some(snapshot(before)), Some(snapshot(&saved)))],
            )
            .await?;
            ids.insert(ci.external_id.clone().unwrap_or_default(), saved.id);
            done += 1;
        }
        progress(done, total);
        for (key, c) in &existing {
            ids.entry(key.clone()).or_insert(c.id);
        }
        let edges: Vec<Edge> = relations
            .iter()
            .filter_map(|(_, from, kind, to)| {
                Some(Edge { from: *ids.get(from)?, to: *ids.get(to)?, kind: *kind })
            })
            .collect();
        let touching: Vec<i64> = edges.iter().map(|e| e.from).collect::<HashSet<_>>().into_iter().collect();
        let present: HashSet<(i64, i64, RelationType)> =
            self.store.edges_touching(&touching).await?.into_iter().map(|e| (e.from, e.to, e.kind)).collect();
        // In file order, each new edge once.
        let mut once = HashSet::new();
        let fresh: Vec<Edge> = edges
            .into_iter()
            .filter(|e| !present.contains(&(e.from, e.to, e.kind)) && once.insert(*e))
            .collect();
        for chunk in fresh.chunks(20_000) {
            report.relations_added += tx.insert_ci_relations(at, chunk).await? as usize;
            let events = chunk
                .iter()
                .map(|e| {
                    event(
                        e.from,
                        "relate",
                        None,
                        Some(json!({ "kind": e.kind.as_str(), "from": e.from, "to": e.to })),
                    )
                })
                .collect();
            tx.append_events(at, events).await?;
            done += chunk.len();
            progress(done.min(total), total);
        }
        tx.commit().await?;
        if total >= BIG_IMPORT {
            self.store.refresh_cmdb_statistics().await?;
        }
        Ok(report)
    }
}

//! Reading import files: CSV (one file of CIs, or one of relationships) and JSON (both) into
//! rows, each keeping its row number for error reports.

use std::collections::BTreeMap;

use serde_json::Value;
use steward_core::cmdb::RawValue;

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

pub(super) fn row_err(row: usize, column: &str, reason: impl Into<String>) -> RowError {
    RowError { row, column: column.to_owned(), reason: reason.into() }
}

pub(crate) const CI_COLUMNS: [&str; 5] = ["external_id", "class", "name", "status", "criticality"];

/// Reads a CSV file: CIs (`external_id,class,name[,status,criticality],<attribute>…`) or, when
/// the header is `from,kind,to`, relationships.
/// A file in either format: JSON when its name says so or it starts with `{`, else CSV.
pub fn parse_any(text: &str, named_json: bool) -> std::result::Result<ImportFile, Vec<RowError>> {
    match named_json || text.trim_start().starts_with('{') {
        true => parse_json(text),
        false => parse_csv(text),
    }
}

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

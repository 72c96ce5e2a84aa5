//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the API, generated.
//!
//! Nothing here is written twice. Paths and methods come from the route table: each `/api/`
//! route carries an [`Op`] naming its summary and its request and response types. The schemas
//! come from those types (`utoipa::ToSchema`, derived beside each handler), so a field added
//! to a response struct is documented by adding it. A test checks that every API route has an
//! `Op`; another that every schema a path refers to is in the components.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Json;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::{IntoParams, ToSchema};

use crate::error::ErrorBody;
use crate::{Access, Route};

type Schemas = Vec<(String, RefOr<Schema>)>;

/// A type whose schema the document refers to by name.
#[derive(Clone, Copy)]
struct Typed {
    name: fn() -> Cow<'static, str>,
    collect: fn(&mut Schemas),
}

fn typed<T: ToSchema>() -> Typed {
    Typed {
        name: T::name,
        collect: |out| {
            out.push((T::name().into_owned(), T::schema()));
            T::schemas(out);
        },
    }
}

/// What a successful call answers.
#[derive(Clone, Copy)]
enum Answer {
    Json(Typed),
    /// A file or a text body of this media type (an attachment, a CSV report).
    Raw(&'static str),
    /// A file of one of these types.
    Files(fn() -> Vec<&'static str>),
    Empty,
}

/// The documentation of one API operation.
#[derive(Clone, Copy)]
pub struct Op {
    summary: &'static str,
    /// The query parameters, from the handler's query struct.
    query: Option<fn() -> Vec<Parameter>>,
    request: Option<Typed>,
    /// The body is a file, sent raw, of one of these types.
    upload: Option<fn() -> Vec<&'static str>>,
    status: u16,
    answer: Answer,
}

impl Op {
    /// An operation answering 200 with no body until [`Op::ok`] or another says what it returns.
    pub fn new(summary: &'static str) -> Op {
        Op { summary, query: None, request: None, upload: None, status: 200, answer: Answer::Empty }
    }

    /// Its query parameters: the fields of the handler's query struct.
    pub fn query<T: IntoParams>(mut self) -> Op {
        self.query = Some(|| T::into_params(|| Some(ParameterIn::Query)));
        self
    }

    /// Its JSON request body.
    pub fn body<T: ToSchema>(mut self) -> Op {
        self.request = Some(typed::<T>());
        self
    }

    /// 200 with a file of one of `types`.
    pub fn files(mut self, types: fn() -> Vec<&'static str>) -> Op {
        self.answer = Answer::Files(types);
        self
    }

    /// Its request body: a file, raw, of one of `types` (given as `Content-Type`).
    pub fn upload(mut self, types: fn() -> Vec<&'static str>) -> Op {
        self.upload = Some(types);
        self
    }

    /// 200 with a `T`.
    pub fn ok<T: ToSchema>(mut self) -> Op {
        self.answer = Answer::Json(typed::<T>());
        self
    }

    /// 201 with a `T`.
    pub fn created<T: ToSchema>(mut self) -> Op {
        self.status = 201;
        self.answer = Answer::Json(typed::<T>());
        self
    }

    /// 204, no body.
    pub fn no_content(mut self) -> Op {
        self.status = 204;
        self.answer = Answer::Empty;
        self
    }

    /// 200 with a body of `media_type` (a download, a CSV export).
    pub fn file(mut self, media_type: &'static str) -> Op {
        self.answer = Answer::Raw(media_type);
        self
    }
}

fn schema_ref(t: Typed) -> Value {
    json!({ "$ref": format!("#/components/schemas/{}", (t.name)()) })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// Content of these file types: a text or JSON file is any text (its bytes must be UTF-8, which
/// a schema cannot say), the rest bytes.
fn files_content(types: Vec<&'static str>) -> Value {
    let content: Map<String, Value> = types
        .into_iter()
        .map(|t| {
            let schema = match t {
                t if t.ends_with("json") || t.starts_with("text/") => json!({}),
                _ => json!({ "type": "string", "format": "binary" }),
            };
            (t.to_owned(), json!({ "schema": schema }))
        })
        .collect();
    Value::Object(content)
}

fn operation(route: &Route, op: &Op, schemas: &mut Schemas) -> Value {
    let mut params: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            // Every path parameter is a row id, except a `name` (a secret's, an artefact's).
            let schema = match name {
                "name" => json!({ "type": "string", "pattern": "^[A-Za-z0-9._-]{1,200}$" }),
                _ => json!({ "type": "integer", "format": "int64" }),
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema })
        })
        .collect();
    if let Some(query) = op.query {
        params.extend(query().into_iter().filter_map(|p| serde_json::to_value(p).ok()));
    }
    let mut success = json!({ "description": "success" });
    match op.answer {
        Answer::Json(t) => {
            (t.collect)(schemas);
            success["content"] = json_content(schema_ref(t));
        }
        Answer::Files(types) => success["content"] = files_content(types()),
        Answer::Raw(media_type) => {
            success["content"] =
                json!({ media_type: { "schema": { "type": "string", "format": "binary" } } });
        }
        Answer::Empty => {}
    }
    let error = json!({ "description": "error", "content": json_content(schema_ref(typed::<ErrorBody>())) });
    let mut out = json!({
        "summary": op.summary,
        "operationId": format!("{} {}", route.method.as_str().to_lowercase(), route.path),
        "parameters": params,
        "responses": { op.status.to_string(): success, "4XX": error },
    });
    if let Some(t) = op.request {
        (t.collect)(schemas);
        out["requestBody"] = json!({ "required": true, "content": json_content(schema_ref(t)) });
    }
    if let Some(types) = op.upload {
        out["requestBody"] = json!({ "required": true, "content": files_content(types()) });
    }
    if route.access == Access::Public {
        out["security"] = json!([]);
    }
    out
}

/// The document for these routes (those without an [`Op`] are not part of the API).
fn build_from(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    let mut schemas = Schemas::new();
    (typed::<ErrorBody>().collect)(&mut schemas);
    for route in routes {
        let Some(op) = &route.doc else { continue };
        let entry = paths.entry(route.path.to_owned()).or_insert_with(|| json!({}));
        entry[route.method.as_str().to_lowercase()] = operation(route, op, &mut schemas);
    }
    // Sorted, each once: a type named by many operations is one component.
    let components: BTreeMap<String, Value> = schemas
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or(Value::Null)))
        .collect();
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": { "title": "Steward API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "IT service management. Errors use {\"error\":{\"code\",\"message\",\"field\"}}." },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": components,
        },
    });
    super::schema::expand_patterns(&mut doc);
    doc
}

/// The document, built once from the route table.
pub fn build() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| build_from(&crate::routes()))
}

pub async fn document() -> Json<Value> {
    Json(build().clone())
}

#[cfg(test)]
mod tests {
    use super::build;

    #[test]
    fn every_api_route_is_documented() {
        let doc = build();
        for r in crate::routes() {
            if !r.path.starts_with("/api/") {
                continue;
            }
            let method = r.method.as_str().to_lowercase();
            assert!(
                doc["paths"][r.path][&method].is_object(),
                "{method} {} has no `.doc(Op::new(…))` in its area's route table",
                r.path
            );
        }
    }

    /// Every `$ref` in the document names a schema in its components.
    #[test]
    fn every_reference_resolves() {
        fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc = build();
        let mut all = Vec::new();
        refs(doc, &mut all);
        assert!(all.len() > 50, "the document refers to its schemas ({})", all.len());
        assert!(!doc.to_string().contains("\"@"), "every named pattern is expanded");
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r} is not local"));
            assert!(doc["components"]["schemas"][name].is_object(), "{r} is not in the components");
        }
    }
}

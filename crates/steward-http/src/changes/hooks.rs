//! `POST /hooks/deployments`: delivery pipelines record deployments as standard changes.
//! Three bodies are read (docs/integrations/deployments.md): Steward's own generic JSON, and
//! the deployment webhooks of GitLab (`X-Gitlab-Event: Deployment Hook`) and GitHub
//! (`X-GitHub-Event: deployment_status`); the latter two name their CIs with `?ci=` (repeat it).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde::Serialize;
use serde_json::Value;
use steward_app::changes::Deployment;
use steward_core::changes::Outcome;
use steward_core::ids::TicketId;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentActor};

#[derive(Serialize, ToSchema)]
pub struct DeploymentJson {
    change_id: TicketId,
    number: String,
    state: &'static str,
    /// Conflicts it was recorded with (when the desk flags rather than refuses): their keys.
    flagged: Vec<String>,
    /// It completed the pipeline's earlier "running" record.
    completed_earlier: bool,
}

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(v, |v, k| v.get(*k)).and_then(Value::as_str).unwrap_or("")
}

fn instant(field: &'static str, s: &str) -> Result<Option<jiff::Timestamp>, ApiError> {
    match s.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(field, format!("`{t}` is not an RFC 3339 time"))),
    }
}

/// A pipeline's word for how it went: `None` while it runs.
fn outcome(field: &'static str, status: &str) -> Result<Option<Outcome>, ApiError> {
    Ok(match status.trim().to_ascii_lowercase().as_str() {
        "" | "running" | "created" | "queued" | "in_progress" | "pending" => None,
        "success" | "successful" | "succeeded" => Some(Outcome::Successful),
        "failed" | "failure" | "error" => Some(Outcome::Failed),
        "canceled" | "cancelled" | "backed_out" | "rolled_back" => Some(Outcome::BackedOut),
        "partial" => Some(Outcome::Partial),
        other => {
            return Err(ApiError::invalid(
                field,
                format!("`{other}` is not a deployment status (running, success, failed, canceled)"),
            ));
        }
    })
}

fn query_cis(uri: &Uri) -> Vec<String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    pairs.into_iter().filter(|(k, _)| k == "ci").map(|(_, v)| v).collect()
}

/// Reads the body in whichever of the three formats it is.
fn read(headers: &HeaderMap, uri: &Uri, b: &Value) -> Result<Deployment, ApiError> {
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let gitlab = header("x-gitlab-event");
    let github = header("x-github-event");
    if gitlab.eq_ignore_ascii_case("Deployment Hook") || text(b, &["object_kind"]) == "deployment" {
        let project = text(b, &["project", "path_with_namespace"]);
        return Ok(Deployment {
            title: format!("Deploy {project} {} to {}", text(b, &["short_sha"]), text(b, &["environment"])),
            description: text(b, &["commit_title"]).to_owned(),
            cis: query_cis(uri),
            version: text(b, &["short_sha"]).to_owned(),
            commit_url: text(b, &["commit_url"]).to_owned(),
            started_at: None,
            finished_at: None,
            outcome: outcome("status", text(b, &["status"]))?,
        });
    }
    if github == "deployment_status" || github == "deployment" {
        let sha = text(b, &["deployment", "sha"]);
        let repo = text(b, &["repository", "html_url"]);
        let state = if github == "deployment" { "" } else { text(b, &["deployment_status", "state"]) };
        return Ok(Deployment {
            title: format!(
                "Deploy {} {} to {}",
                text(b, &["repository", "full_name"]),
                sha.chars().take(8).collect::<String>(),
                text(b, &["deployment", "environment"])
            ),
            description: text(b, &["deployment", "description"]).to_owned(),
            cis: query_cis(uri),
            version: sha.chars().take(12).collect(),
            commit_url: if repo.is_empty() { String::new() } else { format!("{repo}/commit/{sha}") },
            started_at: None,
            finished_at: None,
            outcome: outcome("state", state)?,
        });
    }
    if !github.is_empty() || !gitlab.is_empty() {
        return Err(ApiError::invalid("event", format!("`{github}{gitlab}` is not a deployment event")));
    }
    let cis: Vec<String> = match b.get("cis") {
        Some(Value::Array(items)) => {
            items.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
        }
        None | Some(Value::Null) => query_cis(uri),
        Some(_) => return Err(ApiError::invalid("cis", "`cis` is a list of CI names")),
    };
    Ok(Deployment {
        title: text(b, &["title"]).to_owned(),
        description: text(b, &["description"]).to_owned(),
        cis,
        version: text(b, &["version"]).to_owned(),
        commit_url: text(b, &["commit_url"]).to_owned(),
        started_at: instant("started_at", text(b, &["started_at"]))?,
        finished_at: instant("finished_at", text(b, &["finished_at"]))?,
        outcome: outcome("status", text(b, &["status"]))?,
    })
}

/// `POST /hooks/deployments` → 201 with the change; 409 naming the collisions when refused.
pub async fn deployments(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<DeploymentJson>)> {
    if !body.is_object() {
        return Err(ApiError::invalid("body", "a JSON object"));
    }
    let d = read(&headers, &uri, &body)?;
    let r = state.app.changes().record_deployment(&actor, d).await?;
    let status = if r.completed_earlier { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        Json(DeploymentJson {
            change_id: r.change.id,
            number: r.change.number.clone(),
            state: r.change.state.as_str(),
            flagged: r.flagged.iter().map(|c| c.key()).collect(),
            completed_earlier: r.completed_earlier,
        }),
    ))
}

//! Steward's HTTP interfaces: the JSON API under `/api/v1`, the server-rendered web UI,
//! `/healthz`, `/readyz` and `/metrics`.
//!
//! Handlers are thin: they parse input, call one `steward_app` operation and convert the
//! result. Every route is declared once in [`routes`] with its [`Access`]; the router is built
//! from that table, so the test that walks the table sees exactly what is served.

#![forbid(unsafe_code)]
#![recursion_limit = "256"]

mod alerts;
mod api;
mod audit;
mod auth;
mod changes;
mod cmdb;
mod error;
mod extract;
mod forecasts;
mod health;
mod i18n;
mod identity;
mod incidents;
mod knowledge;
mod limits;
pub mod logs;
mod metrics;
mod problems;
mod reports;
mod requests;
mod reviews;
mod runbooks;
mod search;
mod security;
mod sla;
mod strict_json;
mod subscriptions;
mod surveys;
mod ticket_query;
mod triage;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use steward_app::App;

pub use api::openapi_document;
pub use error::ApiError;
pub use i18n::{Catalogs, Lang};
pub use metrics::Metrics;

/// The HTTP layer's slice of the configuration.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Marks cookies `Secure` and sends HSTS; turn on behind HTTPS.
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the sign-in throttle);
    /// any other peer is the client itself.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The secret Grafana signs its webhooks with (HMAC-SHA256); unset: not checked.
    pub grafana_hmac_secret: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            trusted_proxies: Vec::new(),
            grafana_hmac_secret: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<HttpConfig>,
    pub metrics: Arc<Metrics>,
    pub catalogs: Arc<Catalogs>,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health probes, the sign-in page and API login, static assets.
    Public,
    /// A signed-in session or a bearer token; handlers then check the operation's permission.
    Authenticated,
}

/// One entry of the route table.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<AppState>,
    /// What the OpenAPI document says of it; every `/api/` route has one.
    doc: Option<api::Op>,
    /// Its body carries files inline (base64 in JSON or a form): read up to
    /// [`limits::file_body_bytes`] rather than `max_body_bytes`.
    carries_files: bool,
}

impl Route {
    /// Documents this route in the OpenAPI document.
    fn doc(mut self, op: api::Op) -> Route {
        self.doc = Some(op);
        self
    }

    /// Lets this route's body carry files inline, each up to the attachment size.
    fn carrying_files(mut self) -> Route {
        self.carries_files = true;
        self
    }

    /// Wraps this route's handler in a layer (a different body limit, say).
    fn with_layer<L>(mut self, layer: L) -> Route
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<axum::extract::Request, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.handler = self.handler.layer(layer);
        self
    }
}

fn route<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("route methods are standard");
    Route { method, path, access, handler: on(filter, handler), doc: None, carries_files: false }
}

/// Every route Steward serves.
pub fn routes() -> Vec<Route> {
    use Access::{Authenticated as A, Public as P};
    use Method as M;
    let mut table = vec![
        route(M::GET, "/healthz", P, health::healthz),
        route(M::GET, "/readyz", P, health::readyz),
        route(M::GET, "/metrics", A, metrics::scrape),
        route(M::GET, "/static/{file}", P, web::assets::serve),
    ];
    table.extend(api::routes());
    table.extend(web::routes());
    // One line per area.
    table.extend(identity::routes());
    table.extend(incidents::routes());
    table.extend(sla::routes());
    table.extend(reports::routes());
    table.extend(cmdb::routes());
    table.extend(audit::routes());
    table.extend(alerts::routes());
    table.extend(subscriptions::routes());
    table.extend(problems::routes());
    table.extend(requests::routes());
    table.extend(surveys::routes());
    table.extend(changes::routes());
    table.extend(logs::routes());
    table.extend(forecasts::routes());
    table.extend(triage::routes());
    table.extend(runbooks::routes());
    table.extend(knowledge::routes());
    table.extend(search::routes());
    table.extend(reviews::routes());
    table
}

/// Builds the whole application router.
pub fn router(state: AppState) -> Router {
    let mut public = Router::new();
    let mut private = Router::new();
    let table = routes();
    let _ = limits::FILE_ROUTES.set(table.iter().filter(|r| r.carries_files).map(|r| r.path).collect());
    for r in table {
        let handler = match r.carries_files {
            true => r.handler.layer(DefaultBodyLimit::max(limits::file_body_bytes(&state))),
            false => r.handler,
        };
        match r.access {
            Access::Public => public = public.route(r.path, handler),
            Access::Authenticated => private = private.route(r.path, handler),
        }
    }
    let private =
        private.route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_actor));
    public
        .merge(private)
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::error_page::dress))
        .layer(axum::middleware::from_fn(i18n::remember_lang))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::refuse_announced_oversize))
        // Refuses cross-site form posts by their Sec-Fetch-Site / Origin headers, before the
        // per-session CSRF token is even checked; inside `track` so refusals are counted.
        .layer(tower_http::csrf::CsrfLayer::new().with_rejection_response(error::cross_site_response))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        .with_state(state)
}

impl AppState {
    pub fn new(app: App, config: HttpConfig) -> anyhow::Result<AppState> {
        Ok(AppState {
            app,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            catalogs: Arc::new(Catalogs::load()?),
        })
    }
}

//! Forecasts (issue 22): the API under `/api/v1/forecasts` and the page `/logs/forecasts`.

mod api;
mod web;

use axum::http::Method;

use crate::api::{Items, Op};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    use api::*;
    vec![
        route(M::GET, "/api/v1/forecasts", A, list)
            .doc(Op::new("Forecast rules with their last evaluation").ok::<Items<ForecastJson>>()),
        route(M::POST, "/api/v1/forecasts", A, create).doc(
            Op::new("Watch a Prometheus query for a predicted threshold breach (409 when the name is taken)")
                .body::<ForecastBody>()
                .created::<ForecastJson>(),
        ),
        route(M::GET, "/api/v1/forecasts/{id}", A, get).doc(Op::new("A forecast rule").ok::<ForecastJson>()),
        route(M::DELETE, "/api/v1/forecasts/{id}", A, delete).doc(Op::new("Stop watching").no_content()),
        route(M::POST, "/api/v1/forecasts/{id}/run", A, run)
            .doc(Op::new("Evaluate now (its alert fires or resolves as the job would)").ok::<ForecastJson>()),
        route(M::GET, "/logs/forecasts", A, web::page),
        route(M::POST, "/logs/forecasts", A, web::act),
    ]
}

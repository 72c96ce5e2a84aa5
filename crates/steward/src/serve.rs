//! `steward serve`: the web UI, the API and the background worker in one process.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

use crate::config::Config;

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true);
    let _ = if config.log_format == "json" { builder.json().try_init() } else { builder.try_init() };
}

pub async fn run(config: Config, demo: bool) -> anyhow::Result<ExitCode> {
    init_tracing(&config);
    let app = crate::cli::open(&config).await?;
    app.store().warm_up().await?;
    if let Some(admin) =
        app.auth().bootstrap_admin(config.admin_password.as_ref().map(|s| s.0.as_str())).await?
    {
        match admin.generated_password {
            Some(password) => println!(
                "First start: created user `{}` with password: {password}\n\
                 (shown only this once; change it under My account)",
                admin.username
            ),
            None => println!(
                "First start: created user `{}` with the password from STEWARD_ADMIN_PASSWORD",
                admin.username
            ),
        }
    }
    if let Some(read) = app.reports().prepare().await? {
        tracing::info!(tickets = read, "report rollup rebuilt for the configured report_time_zone");
    }
    if demo {
        crate::cli::seed_demo(&app).await?;
    }
    let state = steward_http::AppState::new(app.clone(), config.http())?;
    let router = steward_http::router(state);
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    if let Some(addr) = &config.syslog_listen {
        let addr: std::net::SocketAddr = addr.parse().context("syslog_listen")?;
        let bound = steward_http::logs::syslog::serve(app.clone(), addr)
            .await
            .with_context(|| format!("cannot listen for syslog on {addr}"))?;
        println!("Syslog (UDP and TCP) on {bound}");
        tracing::info!(%bound, "syslog listener");
    }
    let addr = listener.local_addr()?;
    println!("Steward {} is listening on http://{addr}", env!("CARGO_PKG_VERSION"));
    tracing::info!(%addr, backend = app.store().engine(), "listening");

    let (stop_tx, stop_rx) = watch::channel(false);
    let worker_name = format!("{}-{}", hostname(), std::process::id());
    let worker_app = app.clone();
    let poll = Duration::from_millis(config.worker_poll_ms.max(50));
    let search_stop = stop_rx.clone();
    let worker = tokio::spawn(async move { worker_app.run_worker(worker_name, poll, stop_rx).await });
    let feed_app = app.clone();
    let automation_stop = search_stop.clone();
    let feed =
        tokio::spawn(async move { feed_app.run_search_feed(Duration::from_millis(500), search_stop).await });
    // Runbooks: schedules are looked at and due runs claimed four times a second, so a run
    // due at a minute starts well within a second of it.
    let automation_app = app.clone();
    let node = format!("{}-{}", hostname(), std::process::id());
    let automation = tokio::spawn(async move {
        automation_app.run_automation(node, Duration::from_millis(250), automation_stop).await
    });

    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    let _ = feed.await;
    let _ = automation.await;
    app.store().close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "node".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

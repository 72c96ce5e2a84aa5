//! Issue 22, done when: a real Prometheus scrapes Debian's prometheus-node-exporter on this
//! machine while a file grows on a small tmpfs, and Steward predicts when it will be full and
//! opens a predictive incident on the CI before it is. The tmpfs is mounted in a user and mount
//! namespace of its own (`unshare`, no root needed), where node-exporter runs as PID 1 so that
//! it sees the mount.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use steward_app::AppConfig;
use steward_http::HttpConfig;
use steward_test_support::TestApp;

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filling_disk_opens_a_predictive_incident_before_it_is_full() {
    let (prom_port, exporter_port) = (free_port(), free_port());
    let config =
        AppConfig { prometheus_url: Some(format!("http://127.0.0.1:{prom_port}")), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, HttpConfig::default()).await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (s, ci) = app
        .api(Method::POST, "/api/v1/cis", &manager, Some(serde_json::json!({"class": "server", "name": "fill-host", "attributes": {"hostname": "fill-host"}})))
        .await;
    assert_eq!(s, 201, "{ci}");

    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("data");
    std::fs::create_dir(&mount).unwrap();
    // 16 MiB of tmpfs filled at 256 KiB/s: full after about a minute.
    let script = format!(
        "mount -t tmpfs -o size=16m tmpfs {m} || exit 1\n\
         (i=0; while [ $i -lt 200 ]; do head -c 131072 /dev/zero >> {m}/fill 2>/dev/null; sleep 0.5; i=$((i+1)); done) &\n\
         exec prometheus-node-exporter --web.listen-address=127.0.0.1:{exporter_port} --collector.disable-defaults --collector.filesystem\n",
        m = mount.display()
    );
    let _exporter = Peer(
        Command::new("unshare")
            .args(["-Urmpf", "--mount-proc", "--kill-child", "sh", "-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "unshare (util-linux) and prometheus-node-exporter: run ./scripts/test, which installs them",
            ),
    );
    let prom_config = format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n- job_name: node\n  static_configs:\n  - targets: ['127.0.0.1:{exporter_port}']\n"
    );
    std::fs::write(dir.path().join("prometheus.yml"), prom_config).unwrap();
    let _prometheus = Peer(
        Command::new("prometheus")
            .arg(format!("--config.file={}", dir.path().join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("prom-data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus"),
    );

    let query = format!("node_filesystem_avail_bytes{{mountpoint=\"{}\"}}", mount.display());
    let rule = serde_json::json!({"name": "Disk fill-host /data", "query": query, "ci_id": ci["id"], "threshold": 1048576.0,
        "breach": "below", "horizon_minutes": 60, "lookback_minutes": 2});
    let (s, created) = app.api(Method::POST, "/api/v1/forecasts", &manager, Some(rule)).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_i64().unwrap();

    // Evaluate as the job does, once a second, until a breach is predicted.
    let deadline = Instant::now() + Duration::from_secs(90);
    let forecast = loop {
        app.app.forecasts().evaluate_all().await.unwrap();
        let (_, f) = app.api(Method::GET, &format!("/api/v1/forecasts/{id}"), &manager, None).await;
        if f["predicted_at"].is_string() {
            break f;
        }
        assert!(Instant::now() < deadline, "no breach was predicted: {f}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    // Predicted, not observed: the disk still had room, and the breach lies ahead.
    assert_eq!(forecast["model"], "linear", "{forecast}");
    assert!(forecast["last_value"].as_f64().unwrap() > 1048576.0, "{forecast}");
    let predicted: jiff::Timestamp = forecast["predicted_at"].as_str().unwrap().parse().unwrap();
    assert!(predicted > jiff::Timestamp::now(), "{forecast}");

    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts?status=firing", &manager, None).await;
    let alert = &alerts["items"][0];
    assert_eq!(alert["labels"]["alertname"], "PredictedThresholdBreach", "{alerts}");
    assert!(alert["annotations"]["summary"].as_str().unwrap().contains("predicted to go below"), "{alert}");
    let incident = alert["ticket_id"].as_i64().unwrap_or_else(|| panic!("a predictive incident: {alert}"));
    let (_, cis) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}/cis"), &manager, None).await;
    assert_eq!(cis["items"][0]["id"], ci["id"], "on the CI: {cis}");
}

/// Starts Prometheus on `data` (no scraping) and waits until it answers; returns it and its URL.
async fn prometheus_on(data: &std::path::Path, config: &std::path::Path) -> (Peer, String) {
    let port = free_port();
    let peer = Peer(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = reqwest::get(format!("{url}/-/ready")).await.map(|r| r.status().is_success());
        if ready.unwrap_or(false) {
            return (peer, url);
        }
        assert!(Instant::now() < deadline, "prometheus did not become ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Metric anomalies: three days of a daily pattern are written into a real Prometheus' storage
/// with `promtool tsdb create-blocks-from openmetrics` (on Prometheus' own clock); a rule with a
/// Holt-Winters band fires `MetricAnomaly` on the series whose newest value leaves its band, and
/// not on its twin that keeps the pattern.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_outside_its_holt_winters_band_raises_a_metric_anomaly() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\n").unwrap();
    // Prometheus' clock (libfaketime does not move it).
    let now = {
        let (_peer, url) = prometheus_on(&dir.path().join("clock"), &config).await;
        let body: serde_json::Value =
            reqwest::get(format!("{url}/api/v1/query?query=time()")).await.unwrap().json().await.unwrap();
        body["data"]["result"][0].as_f64().unwrap() as i64
    };
    let mut metrics = String::from("# HELP shop_orders Orders per minute.\n# TYPE shop_orders gauge\n");
    let start = (now - 3 * 86400) / 300 * 300;
    let points: Vec<i64> = (0..).map(|i| start + i * 300).take_while(|t| *t < now - 60).collect();
    for (series, spike) in [("calm", false), ("spiking", true)] {
        for (i, t) in points.iter().enumerate() {
            let day = (t % 86400) as f64 / 86400.0 * std::f64::consts::TAU;
            let mut v = 100.0 + 50.0 * day.sin() + (i % 7) as f64;
            if spike && i + 1 == points.len() {
                v += 400.0;
            }
            metrics.push_str(&format!("shop_orders{{shop=\"{series}\"}} {v} {t}\n"));
        }
    }
    metrics.push_str("# EOF\n");
    let input = dir.path().join("orders.om");
    std::fs::write(&input, metrics).unwrap();
    let data = dir.path().join("data");
    let made = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .expect("promtool (Debian's prometheus package)");
    assert!(made.success());
    let (_prometheus, url) = prometheus_on(&data, &config).await;

    let config = AppConfig { prometheus_url: Some(url), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, HttpConfig::default()).await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (s, ci) = app
        .api(Method::POST, "/api/v1/cis", &manager, Some(serde_json::json!({"class": "server", "name": "shop01", "attributes": {"hostname": "shop01"}})))
        .await;
    assert_eq!(s, 201, "{ci}");
    let rule = |shop: &str| {
        serde_json::json!({"name": format!("Orders {shop}"), "query": format!("shop_orders{{shop=\"{shop}\"}}"),
            "ci_id": ci["id"], "threshold": 4.0, "breach": "outside", "horizon_minutes": 60, "lookback_minutes": 3 * 1440})
    };
    let mut ids = Vec::new();
    for shop in ["calm", "spiking"] {
        let (s, created) = app.api(Method::POST, "/api/v1/forecasts", &manager, Some(rule(shop))).await;
        assert_eq!(s, 201, "{created}");
        ids.push(created["id"].as_i64().unwrap());
    }
    let short = serde_json::json!({"name": "x", "query": "up", "threshold": 4.0, "breach": "outside",
        "horizon_minutes": 60, "lookback_minutes": 600});
    let (s, e) = app.api(Method::POST, "/api/v1/forecasts", &manager, Some(short)).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("lookback_minutes")), "{e}");

    assert_eq!(app.app.forecasts().evaluate_all().await.unwrap(), 1);
    let (_, calm) = app.api(Method::GET, &format!("/api/v1/forecasts/{}", ids[0]), &manager, None).await;
    assert!(calm["predicted_at"].is_null() && calm["error"] == "", "{calm}");
    assert!(calm["model"].as_str().unwrap().starts_with("holt-winters, daily season"), "{calm}");
    let (_, spiking) = app.api(Method::GET, &format!("/api/v1/forecasts/{}", ids[1]), &manager, None).await;
    assert!(spiking["predicted_at"].is_string(), "{spiking}");
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts?status=firing", &manager, None).await;
    let alert = &alerts["items"][0];
    assert_eq!(alert["labels"]["alertname"], "MetricAnomaly", "{alerts}");
    assert!(
        alert["annotations"]["summary"].as_str().unwrap().contains("outside its expected band"),
        "{alert}"
    );
    assert!(alert["ticket_id"].is_i64(), "an incident on the CI: {alert}");
}

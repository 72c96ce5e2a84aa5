//! Real log senders (issue 22): util-linux `logger` over TCP and UDP in both syslog formats,
//! Debian's rsyslog forwarding a file it tails, a Loki client built from Loki's published
//! protobuf definition (the `loki-api` crate) sending protobuf + snappy, and a UDP flood beyond
//! what the listener holds: counted drops, every stored line findable, nothing lost silently.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use steward_test_support::TestApp;

async fn lines(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, out) = app.api(Method::GET, &format!("/api/v1/logs/lines?{query}"), token, None).await;
    assert_eq!(status, 200, "{out}");
    out["items"].as_array().unwrap().clone()
}

/// Waits (up to 20 s) until a search finds `count` lines.
async fn wait_for(app: &TestApp, token: &str, query: &str, count: usize) -> Vec<Value> {
    for _ in 0..200 {
        let found = lines(app, token, query).await;
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {count} line(s) for `{query}`: {:?}", lines(app, token, query).await);
}

fn logger(addr: SocketAddr, args: &[&str], message: &str) {
    let status = Command::new("logger")
        .args(["-n", &addr.ip().to_string(), "-P", &addr.port().to_string()])
        .args(args)
        .arg(message)
        .status()
        .expect("util-linux logger is installed");
    assert!(status.success(), "logger {args:?}");
}

#[tokio::test]
async fn logger_rsyslog_and_a_loki_client_stream_logs_in() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ops", "agent").await;
    let shipper = app.token("ops", "alerts").await;
    let addr =
        steward_http::logs::syslog::serve(app.app.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();

    logger(
        addr,
        &["--rfc5424", "--tcp", "-t", "billing", "-p", "user.err"],
        "invoice 4711 failed: timeout after 30s",
    );
    logger(addr, &["--rfc5424", "--udp", "-t", "billing", "-p", "user.warning"], "invoice 4712 retried");
    logger(
        addr,
        &["--rfc3164", "--tcp", "--octet-count", "-t", "cron", "-p", "cron.info"],
        "job nightly-backup finished in 42s",
    );
    logger(addr, &["--rfc3164", "--udp", "-t", "kernel", "-p", "kern.crit"], "EXT4-fs error on sda1");
    let found = wait_for(&app, &agent, "q=invoice%204711", 1).await;
    assert_eq!(found[0]["source"], "billing");
    assert_eq!(found[0]["level"], "error");
    assert_eq!(found[0]["message"], "invoice 4711 failed: timeout after 30s");
    assert!(!found[0]["host"].as_str().unwrap().is_empty(), "the sender's host name: {found:?}");
    assert_eq!(wait_for(&app, &agent, "q=invoice%204712", 1).await[0]["level"], "warning");
    let cron = wait_for(&app, &agent, "q=nightly-backup", 1).await;
    assert_eq!((cron[0]["source"].as_str(), cron[0]["level"].as_str()), (Some("cron"), Some("info")));
    assert_eq!(wait_for(&app, &agent, "q=EXT4-fs", 1).await[0]["level"], "critical");

    // rsyslog tails a file and forwards it in RFC 5424 over TCP, as a server would.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.log");
    std::fs::write(&file, "").unwrap();
    let conf = dir.path().join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            r#"global(workDirectory="{dir}")
module(load="imfile" PollingInterval="1")
input(type="imfile" File="{file}" Tag="payments" Severity="error" Facility="local0")
action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" template="RSYSLOG_SyslogProtocol23Format")
"#,
            dir = dir.path().display(),
            file = file.display(),
            port = addr.port()
        ),
    )
    .unwrap();
    let mut rsyslog = Command::new("/usr/sbin/rsyslogd")
        .args(["-n", "-f"])
        .arg(&conf)
        .arg("-i")
        .arg(dir.path().join("rsyslogd.pid"))
        .spawn()
        .expect("Debian's rsyslog is installed");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new().append(true).open(&file).unwrap();
    for i in 0..20 {
        writeln!(f, "payment {i} declined by gateway gw-{}", i % 3).unwrap();
    }
    drop(f);
    let forwarded = wait_for(&app, &agent, "q=declined%20by%20gateway", 20).await;
    let _ = rsyslog.kill();
    let _ = rsyslog.wait();
    assert!(forwarded.iter().all(|l| l["source"] == "payments" && l["level"] == "error"), "{forwarded:?}");
    let (_, templates) = app.api(Method::GET, "/api/v1/logs/templates?q=declined", &agent, None).await;
    assert_eq!(templates["items"].as_array().unwrap().len(), 1, "one template: {templates}");

    // A Loki client: Loki's PushRequest (generated from its push.proto), protobuf + snappy.
    use loki_api::logproto::{EntryAdapter, PushRequest, StreamAdapter};
    use loki_api::prost::Message as _;
    let entries = (0..50)
        .map(|i| EntryAdapter {
            timestamp: Some(loki_api::prost_types::Timestamp { seconds: 1_700_000_000 + i, nanos: 0 }),
            line: format!("GET /api/orders/{i} 502 upstream connect error"),
        })
        .collect();
    let push = PushRequest {
        streams: vec![StreamAdapter {
            labels: r#"{host="lb-01", job="envoy", level="error"}"#.into(),
            entries,
            hash: 0,
        }],
    };
    let body = snap::raw::Encoder::new().compress_vec(&push.encode_to_vec()).unwrap();
    let response = reqwest::Client::new()
        .post(app.url("/loki/api/v1/push"))
        .bearer_auth(&shipper)
        .header("content-type", "application/x-protobuf")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let from_loki = lines(&app, &agent, "host=lb-01&limit=100").await;
    assert_eq!(from_loki.len(), 50);
    assert!(from_loki.iter().all(|l| l["source"] == "envoy" && l["level"] == "error"));
    assert_eq!(from_loki[0]["at"], "2023-11-14T22:14:09Z", "the entry's own time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_udp_flood_beyond_capacity_is_counted_never_a_crash() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ops", "agent").await;
    // A small budget (256 KiB held at most), so the flood outruns it here and not only in the
    // kernel's socket buffer (whose drops nobody can count).
    let addr =
        steward_http::logs::syslog::serve_with(app.app.clone(), "127.0.0.1:0".parse().unwrap(), 256 * 1024)
            .await
            .unwrap();
    let counters = &steward_http::logs::syslog::COUNTERS;
    // Counters are the process's: this test counts from where they stand now.
    let before = counters.received.load(Ordering::Relaxed);
    let (stored_before, dropped_before) =
        (counters.stored.load(Ordering::Relaxed), counters.dropped.load(Ordering::Relaxed));
    // 60,000 messages as fast as one socket sends them (bounded: this is a test, not a load rig).
    // Sent from its own thread while the listener runs on the runtime's.
    tokio::task::spawn_blocking(move || {
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let payload = "x".repeat(4000);
        for i in 0..60_000 {
            let msg = format!("<11>1 - flood-host app - - - flood {i} {payload}");
            let _ = sender.send_to(msg.as_bytes(), addr);
        }
    })
    .await
    .unwrap();
    // Everything received is stored or counted as dropped; the server keeps answering.
    let mut settled = false;
    for _ in 0..600 {
        let received = counters.received.load(Ordering::Relaxed) - before;
        let done = counters.stored.load(Ordering::Relaxed) - stored_before
            + counters.dropped.load(Ordering::Relaxed)
            - dropped_before;
        if received > 0 && done >= received {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        settled,
        "received {:?}, stored {:?}, dropped {:?}",
        counters.received, counters.stored, counters.dropped
    );
    let stored = (counters.stored.load(Ordering::Relaxed) - stored_before) as usize;
    eprintln!("flood: received {:?}, stored {stored}, dropped {:?}", counters.received, counters.dropped);
    assert!(stored > 0);
    assert!(counters.dropped.load(Ordering::Relaxed) > dropped_before, "the flood went past the budget");
    let (status, hosts) = app.api(Method::GET, "/api/v1/logs/hosts", &agent, None).await;
    assert_eq!(status, 200, "the server still answers");
    let (_, templates) = app.api(Method::GET, "/api/v1/logs/templates?host=flood-host", &agent, None).await;
    let counted = templates["items"][0]["lines"].as_u64().unwrap_or(0);
    let host = hosts["items"].as_array().unwrap().iter().find(|h| h["host"] == "flood-host").cloned();
    assert_eq!(
        host.and_then(|h| h["lines"].as_u64()),
        Some(counted),
        "every stored line is counted: {templates}"
    );
    // The counters are the process's: when the tests share one process (`cargo test`), another
    // test's listener stores its few lines meanwhile; under nextest (a process per test) they
    // are equal.
    assert!(
        counted > 0 && counted <= stored as u64 && stored as u64 - counted < 100,
        "{counted} of {stored}"
    );
}

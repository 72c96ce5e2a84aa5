//! One HTTP/1.1 POST, over TLS for `https`. Hand-rolled on hyper and tokio-rustls (both already
//! built, for axum and mail) rather than through reqwest: reqwest's TLS would either build
//! aws-lc (a C toolchain on every machine) or need a process-wide crypto provider installed
//! before any of its clients — which every test and tool would then have to do. Deliveries are
//! a few a second at most, so a connection per request is fine. No proxy support.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

/// The answer: status and body (the first 64 KiB).
pub async fn post(
    url: &str,
    headers: &[(String, String)],
    body: String,
    timeout: Duration,
) -> Result<(u16, String), String> {
    send("POST", url, headers, body, timeout).await
}

/// One request of any method (runbooks' http steps use this too).
pub(crate) async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: String,
    timeout: Duration,
) -> Result<(u16, String), String> {
    match tokio::time::timeout(timeout, attempt(method, url, headers, body)).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
    }
}

async fn attempt(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: String,
) -> Result<(u16, String), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let host =
        uri.host().ok_or("the URL has no host")?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let tls = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err("the URL is neither http nor https".into()),
    };
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("connect {host}:{port}: {e}"))?;
    let authority = uri.authority().map(|a| a.as_str().to_owned()).unwrap_or_else(|| host.clone());
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let mut request =
        hyper::Request::builder().method(method).uri(path).header(hyper::header::HOST, authority);
    for (k, v) in headers {
        request = request.header(k.as_str(), v.as_str());
    }
    let request = request
        .header(hyper::header::USER_AGENT, concat!("Steward/", env!("CARGO_PKG_VERSION")))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("bad request: {e}"))?;
    if tls {
        let name =
            rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| format!("server name: {e}"))?;
        let stream = connector()?.connect(name, tcp).await.map_err(|e| format!("TLS with {host}: {e}"))?;
        exchange(stream, request).await
    } else {
        exchange(tcp, request).await
    }
}

async fn exchange<S>(stream: S, request: hyper::Request<Full<Bytes>>) -> Result<(u16, String), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(|e| e.to_string());
    let out = match response {
        Ok(response) => {
            let status = response.status().as_u16();
            let limited = http_body_util::Limited::new(response.into_body(), 64 * 1024);
            let bytes = limited.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
        }
        Err(e) => Err(e),
    };
    driver.abort();
    out
}

/// rustls with the `ring` provider and the Mozilla roots: nothing from the system.
fn connector() -> Result<tokio_rustls::TlsConnector, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
        Ok(Arc::new(config))
    });
    config.clone().map(tokio_rustls::TlsConnector::from)
}

//! The syslog listener: RFC 5424 and RFC 3164 messages over UDP and TCP (RFC 6587 framing) on
//! one configured address, as `logger`, rsyslog, syslog-ng and network devices send them.
//!
//! Memory is bounded by a byte budget shared by everything received and not yet stored: over
//! TCP a sender waits for room (TCP's own flow control pushes back), over UDP — which cannot
//! wait — a message that finds no room is dropped and counted. One batcher stores what arrives
//! every 200 ms or 5,000 lines, whichever comes first.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use steward_app::App;
use steward_app::logs::IncomingLine;
use steward_core::logs::syslog;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Semaphore, mpsc};

/// Longest message read (a longer one is cut): RFC 5424 asks receivers for 2 KiB at least.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Bytes received and not yet stored, at most.
pub const BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// What the listener counted since it started (for `/metrics`).
#[derive(Debug, Default)]
pub struct SyslogCounters {
    pub received: AtomicU64,
    /// UDP messages dropped for want of room, and batches the database refused.
    pub dropped: AtomicU64,
    pub stored: AtomicU64,
}

pub static COUNTERS: SyslogCounters =
    SyslogCounters { received: AtomicU64::new(0), dropped: AtomicU64::new(0), stored: AtomicU64::new(0) };

struct Received {
    raw: Vec<u8>,
    peer: SocketAddr,
    /// The budget this message holds until stored.
    bytes: u32,
}

/// Binds UDP and TCP on `addr` and serves until the process ends; answers the bound address
/// (port 0 picks one).
pub async fn serve(app: App, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    serve_with(app, addr, BUDGET_BYTES).await
}

/// [`serve`] holding at most `budget` bytes received and not yet stored.
pub async fn serve_with(app: App, addr: SocketAddr, budget: usize) -> std::io::Result<SocketAddr> {
    let (udp, tcp, bound) = bind_both(addr).await?;
    let budget = Arc::new(Semaphore::new(budget.max(MAX_MESSAGE)));
    let (tx, rx) = mpsc::unbounded_channel::<Received>();
    tokio::spawn(batcher(app, rx, budget.clone()));
    tokio::spawn(receive_udp(udp, tx.clone(), budget.clone()));
    tokio::spawn(accept_tcp(tcp, tx, budget));
    Ok(bound)
}

/// UDP and TCP on one port. With port 0 the system picks a free UDP port, whose TCP twin may be
/// taken: another is tried then.
async fn bind_both(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener, SocketAddr)> {
    let mut tries = 0;
    loop {
        let udp = UdpSocket::bind(addr).await?;
        let bound = udp.local_addr()?;
        match TcpListener::bind(bound).await {
            Ok(tcp) => return Ok((udp, tcp, bound)),
            Err(e) if addr.port() == 0 && e.kind() == std::io::ErrorKind::AddrInUse && tries < 20 => {
                tries += 1
            }
            Err(e) => return Err(e),
        }
    }
}

async fn receive_udp(socket: UdpSocket, tx: mpsc::UnboundedSender<Received>, budget: Arc<Semaphore>) {
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut buf).await else { continue };
        COUNTERS.received.fetch_add(1, Ordering::Relaxed);
        let bytes = n.max(1) as u32;
        match budget.clone().try_acquire_many_owned(bytes) {
            Ok(permit) => {
                permit.forget();
                if tx.send(Received { raw: buf[..n].to_vec(), peer, bytes }).is_err() {
                    return;
                }
            }
            Err(_) => {
                COUNTERS.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

async fn accept_tcp(listener: TcpListener, tx: mpsc::UnboundedSender<Received>, budget: Arc<Semaphore>) {
    loop {
        let Ok((mut stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (tx, budget) = (tx.clone(), budget.clone());
        tokio::spawn(async move {
            let mut buffer = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            let mut frames = Vec::new();
            loop {
                let n = match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => 0,
                    Ok(n) => n,
                };
                let framed = if n == 0 {
                    // What is left unterminated at the end is a message too.
                    buffer.is_empty() || {
                        buffer.push(b'\n');
                        syslog::frames(&mut buffer, MAX_MESSAGE, &mut frames)
                    }
                } else {
                    buffer.extend_from_slice(&chunk[..n]);
                    syslog::frames(&mut buffer, MAX_MESSAGE, &mut frames)
                };
                if !framed {
                    // An octet count beyond the limit: counted, and the connection closed.
                    COUNTERS.dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                for raw in frames.drain(..) {
                    COUNTERS.received.fetch_add(1, Ordering::Relaxed);
                    let bytes = raw.len().clamp(1, MAX_MESSAGE) as u32;
                    // Waits for room: the sender is held back by TCP itself meanwhile.
                    let Ok(permit) = budget.clone().acquire_many_owned(bytes).await else { return };
                    permit.forget();
                    if tx.send(Received { raw, peer, bytes }).is_err() {
                        return;
                    }
                }
                if n == 0 {
                    return;
                }
            }
        });
    }
}

async fn batcher(app: App, mut rx: mpsc::UnboundedReceiver<Received>, budget: Arc<Semaphore>) {
    let mut batch: Vec<Received> = Vec::new();
    loop {
        let deadline = tokio::time::sleep(Duration::from_millis(200));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                got = rx.recv() => match got {
                    Some(r) => {
                        batch.push(r);
                        if batch.len() >= 5_000 {
                            break;
                        }
                    }
                    None => {
                        store(&app, &mut batch, &budget).await;
                        return;
                    }
                },
                _ = &mut deadline => break,
            }
        }
        store(&app, &mut batch, &budget).await;
    }
}

async fn store(app: &App, batch: &mut Vec<Received>, budget: &Semaphore) {
    if batch.is_empty() {
        return;
    }
    let now = app.now();
    let held: usize = batch.iter().map(|r| r.bytes as usize).sum();
    let lines: Vec<IncomingLine> = batch
        .drain(..)
        .map(|r| {
            let text = String::from_utf8_lossy(&r.raw);
            let m = syslog::parse(&text, now);
            IncomingLine {
                at: m.at,
                source: m.app.unwrap_or_else(|| "syslog".into()),
                // A message without a host name is from the host that sent it.
                host: m.host.unwrap_or_else(|| r.peer.ip().to_string()),
                level: Some(m.level),
                message: m.message,
            }
        })
        .collect();
    let n = lines.len() as u64;
    // The database may be away for a moment: try a few times before counting the batch lost.
    let mut tries = 0;
    loop {
        match app.logs().ingest_from_listener(lines.clone()).await {
            Ok(_) => {
                COUNTERS.stored.fetch_add(n, Ordering::Relaxed);
                break;
            }
            Err(e) if tries < 5 => {
                tries += 1;
                tracing::warn!(error = %e, "syslog: storing a batch failed; retrying");
                tokio::time::sleep(Duration::from_millis(200 * tries)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, lines = n, "syslog: a batch could not be stored");
                COUNTERS.dropped.fetch_add(n, Ordering::Relaxed);
                break;
            }
        }
    }
    budget.add_permits(held);
}

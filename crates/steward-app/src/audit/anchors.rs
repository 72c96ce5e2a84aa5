//! Anchors: the event chain's head, signed with an Ed25519 key kept outside the database and
//! appended to a file outside it, every N events and every minute.
//!
//! The chain alone catches an edited or missing event, but not someone with write access to the
//! database who deletes the newest events and moves the head back, or edits an event and
//! recomputes every hash after it (plain SHA-256 has no key). Neither can be hidden from an
//! anchor: its sequence number must still exist with the hash it was signed with, and a new
//! signature needs the key. Events after the newest anchor (at most a minute's, or N) are
//! covered by the chain only.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{AppError, Result};

/// Where the signing key comes from.
#[derive(Clone)]
pub enum AnchorKey {
    /// A file holding the key's 32-byte seed in hex; made (mode 0600) on first start.
    File(PathBuf),
    /// The seed in hex, given directly (e.g. `STEWARD_ANCHOR_KEY` from a secret store).
    Seed(String),
}

impl std::fmt::Debug for AnchorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnchorKey::File(p) => f.debug_tuple("File").field(p).finish(),
            AnchorKey::Seed(_) => f.write_str("Seed(***)"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AnchorConfig {
    pub key: AnchorKey,
    /// The append-only file of signed checkpoints.
    pub log: PathBuf,
    /// Anchor once this many events have been appended since the last anchor...
    pub every_events: i64,
    /// ...or once this long has passed with any new event.
    pub every: SignedDuration,
    /// Also send each anchor to syslog through this socket (e.g. `/dev/log`), so a copy
    /// leaves the host with the system's log forwarding.
    pub syslog: Option<PathBuf>,
}

impl AnchorConfig {
    /// The defaults: key and log in the data folder, every 1,000 events or every minute.
    pub fn in_folder(data: &Path) -> AnchorConfig {
        AnchorConfig {
            key: AnchorKey::File(data.join("anchor.key")),
            log: data.join("anchors.log"),
            every_events: 1_000,
            every: SignedDuration::from_secs(60),
            syslog: None,
        }
    }
}

/// One signed checkpoint: one line of JSON in the anchor log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub public_key: String,
    pub signature: String,
}

fn message(seq: i64, hash: &str, at: &str) -> String {
    format!("steward-anchor/1 {seq} {hash} {at}")
}

fn internal(what: String) -> AppError {
    AppError::Internal(anyhow::anyhow!(what))
}

impl AnchorKey {
    /// The signing key, making the key file if it does not exist yet.
    pub fn signing_key(&self) -> Result<SigningKey> {
        let seed = match self {
            AnchorKey::Seed(hex) => seed_of(hex, "the anchor key")?,
            AnchorKey::File(path) => key_seed(path, "the anchor key")?,
        };
        Ok(SigningKey::from_bytes(&seed))
    }
}

fn seed_of(hex_text: &str, what: &str) -> Result<[u8; 32]> {
    hex::decode(hex_text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| internal(format!("{what} is not 64 hex digits")))
}

/// A 32-byte key kept in a file outside the database (hex), made (mode 0600) when missing: the
/// anchors' signing key and the secret store's encryption key.
pub(crate) fn key_seed(path: &Path, what: &str) -> Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => seed_of(&text, what),
        // Empty: a key file an older Steward was killed while writing; it was never used.
        Ok(_) => {
            std::fs::remove_file(path)
                .map_err(|e| internal(format!("removing the empty key {}: {e}", path.display())))?;
            create_key_file(path, what)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(path, what),
        Err(e) => Err(internal(format!("reading {what} {}: {e}", path.display()))),
    }
}

impl AnchorKey {
    /// The key that checks anchors, without making one: `None` when the key file does not
    /// exist yet (nothing has been anchored here).
    pub fn verifying_key(&self) -> Result<Option<VerifyingKey>> {
        if let AnchorKey::File(path) = self
            && !path.exists()
        {
            return Ok(None);
        }
        Ok(Some(self.signing_key()?.verifying_key()))
    }
}

fn create_parent(path: &Path) -> Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir)
            .map_err(|e| internal(format!("creating the folder {}: {e}", dir.display()))),
        None => Ok(()),
    }
}

fn create_key_file(path: &Path, what: &str) -> Result<[u8; 32]> {
    create_parent(path)?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| internal(format!("no randomness for {what}: {e}")))?;
    // Written whole to a file of its own, then linked into place: a process killed meanwhile
    // leaves no half-written key (an empty key file made a restore fail), and of two processes
    // making one at once, the second reads the first's.
    let tmp = path.with_extension(format!("tmp-{}", hex::encode(&seed[..4])));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(hex::encode(seed).as_bytes())?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(internal(format!("writing {what} {}: {e}", tmp.display())));
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(seed),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => key_seed(path, what),
        Err(e) => Err(internal(format!("creating {what} {}: {e}", path.display()))),
    }
}

/// The anchors in the log, oldest first; none when there is no log yet.
pub fn read_anchors(path: &Path) -> Result<Vec<Anchor>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(internal(format!("reading the anchor log {}: {e}", path.display()))),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map_err(|e| internal(format!("anchor log {} line {}: {e}", path.display(), i + 1)))
        })
        .collect()
}

/// Signs the head `(seq, hash)` at `at` and appends it to the log, synced before returning.
pub fn append_anchor(path: &Path, key: &SigningKey, seq: i64, hash: &str, at: Timestamp) -> Result<Anchor> {
    let at = at.to_string();
    let signature = key.sign(message(seq, hash, &at).as_bytes());
    let anchor = Anchor {
        seq,
        hash: hash.to_owned(),
        at,
        public_key: hex::encode(key.verifying_key().as_bytes()),
        signature: hex::encode(signature.to_bytes()),
    };
    let line = serde_json::to_string(&anchor).map_err(|e| internal(e.to_string()))? + "\n";
    create_parent(path)?;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| internal(format!("opening the anchor log {}: {e}", path.display())))?;
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| internal(format!("writing the anchor log {}: {e}", path.display())))?;
    Ok(anchor)
}

/// Sends one anchor as an RFC 3164 message (facility local0, severity info) to a syslog
/// socket. Hand-rolled: one datagram of one line needs no crate.
#[cfg(unix)]
fn send_to_syslog(socket: &Path, anchor: &Anchor) -> std::io::Result<()> {
    let line = serde_json::to_string(anchor).map_err(std::io::Error::other)?;
    let message = format!("<134>steward[{}]: audit-anchor {line}", std::process::id());
    std::os::unix::net::UnixDatagram::unbound()?.send_to(message.as_bytes(), socket).map(drop)
}

#[cfg(not(unix))]
fn send_to_syslog(_socket: &Path, _anchor: &Anchor) -> std::io::Result<()> {
    Err(std::io::Error::other("syslog sockets are Unix-only"))
}

/// Whether `anchor` was signed by `key` (not merely by the key it names).
pub fn signed_by(anchor: &Anchor, key: &VerifyingKey) -> bool {
    let Some(signature) = hex::decode(&anchor.signature).ok().and_then(|b| Signature::from_slice(&b).ok())
    else {
        return false;
    };
    key.verify(message(anchor.seq, &anchor.hash, &anchor.at).as_bytes(), &signature).is_ok()
}

/// What the anchors say about the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorCheck {
    /// Every anchor is signed with the key and its event holds the signed hash.
    Held { anchors: usize, last_seq: i64 },
    /// Steward is not set up to anchor here.
    NotConfigured,
    /// The first anchor that does not hold, and why.
    Broken { seq: i64, reason: String },
}

/// The anchoring state the worker keeps between polls.
pub struct Anchoring {
    config: AnchorConfig,
    key: SigningKey,
    last: Option<(i64, Timestamp)>,
}

impl Anchoring {
    pub fn open(config: AnchorConfig) -> Result<Anchoring> {
        let anchors = read_anchors(&config.log)?;
        if let AnchorKey::File(path) = &config.key
            && !path.exists()
            && !anchors.is_empty()
        {
            // A new key would make every anchor so far look forged: say what is missing instead.
            return Err(internal(format!(
                "{} holds anchors but the key {} is missing: restore the key, or move the log away to \
                 start a new one",
                config.log.display(),
                path.display()
            )));
        }
        let key = config.key.signing_key()?;
        let last = anchors.last().map(|a| (a.seq, a.at.parse().unwrap_or(Timestamp::UNIX_EPOCH)));
        Ok(Anchoring { config, key, last })
    }
}

impl crate::App {
    /// Anchors the chain head when enough events or time have passed since the last anchor,
    /// or, with `now_anyway` (on shutdown), whenever there is a new event.
    pub async fn anchor_if_due(&self, anchoring: &mut Anchoring, now_anyway: bool) -> Result<Option<Anchor>> {
        let (seq, hash) = self.store().event_chain_head().await?;
        let now = self.now();
        let due = match anchoring.last {
            None => seq > 0,
            Some((last_seq, last_at)) => {
                seq > last_seq
                    && (now_anyway
                        || seq - last_seq >= anchoring.config.every_events
                        || now.duration_since(last_at) >= anchoring.config.every)
            }
        };
        if !due {
            return Ok(None);
        }
        let anchor = append_anchor(&anchoring.config.log, &anchoring.key, seq, &hash, now)?;
        anchoring.last = Some((seq, now));
        if let Some(socket) = &anchoring.config.syslog
            && let Err(e) = send_to_syslog(socket, &anchor)
        {
            // The log file holds the anchor; a syslog outage must not stop anchoring.
            tracing::warn!(error = %e, socket = %socket.display(), "the anchor did not reach syslog");
        }
        tracing::debug!(seq, "event chain anchored");
        Ok(Some(anchor))
    }
}

impl crate::Audit<'_> {
    /// Checks the database against the anchor log: every anchor must be signed with the key,
    /// and the event it names must exist with the hash it signed.
    pub async fn check_anchors(self) -> Result<AnchorCheck> {
        let Some(config) = &self.config.anchors else {
            return Ok(AnchorCheck::NotConfigured);
        };
        let anchors = read_anchors(&config.log)?;
        let Some(key) = config.key.verifying_key()? else {
            if let Some(first) = anchors.first() {
                return Ok(AnchorCheck::Broken {
                    seq: first.seq,
                    reason:
                        "the anchor key is missing (give the original: anchor_key_file or STEWARD_ANCHOR_KEY)"
                            .into(),
                });
            }
            // No key and no anchors: no server has run here to anchor anything yet.
            return Ok(AnchorCheck::Held { anchors: 0, last_seq: 0 });
        };
        let (head, _) = self.store.event_chain_head().await?;
        if anchors.is_empty() {
            // Anchors are written within a minute of the first event; none at all is suspect.
            let oldest = self.store.event_at(1).await?;
            let overdue = oldest.is_some_and(|e| self.now().duration_since(e.0) > config.every * 2);
            if overdue {
                return Ok(AnchorCheck::Broken {
                    seq: 0,
                    reason: "the anchor log is missing or empty".into(),
                });
            }
            return Ok(AnchorCheck::Held { anchors: 0, last_seq: 0 });
        }
        for anchor in &anchors {
            let broken = |reason: &str| Ok(AnchorCheck::Broken { seq: anchor.seq, reason: reason.into() });
            if !signed_by(anchor, &key) {
                return broken("its signature is not the anchor key's");
            }
            if anchor.seq > head {
                return broken("the chain's head is before this anchor: newer events were removed");
            }
            match self.store.event_at(anchor.seq).await? {
                None => return broken("the anchored event is missing"),
                Some((_, hash)) if hash != anchor.hash => {
                    return broken("the anchored event's hash differs: the chain was rewritten");
                }
                Some(_) => {}
            }
        }
        let last_seq = anchors.last().map_or(0, |a| a.seq);
        Ok(AnchorCheck::Held { anchors: anchors.len(), last_seq })
    }
}

#[cfg(test)]
mod key_file_tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_whole_once_and_an_empty_one_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/anchor.key");
        let key = AnchorKey::File(path.clone());
        let first = key.signing_key().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().len(), 64);
        assert_eq!(key.signing_key().unwrap().to_bytes(), first.to_bytes(), "read back, not made again");
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
        // A key file left empty by a process killed while writing it (older versions).
        std::fs::write(&path, "").unwrap();
        let again = key.signing_key().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), hex::encode(again.to_bytes()));
        std::fs::write(&path, "not hex").unwrap();
        assert!(key.signing_key().is_err(), "a damaged key is not silently replaced");
    }
}

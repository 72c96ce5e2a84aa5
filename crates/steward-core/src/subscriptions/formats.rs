//! Each channel's message format and signature, and how its answer says whether it took the
//! message. Written from the senders' documentation:
//! - Slack incoming webhooks: `{"text", "blocks"}`, answered `ok`.
//! - DingTalk custom robot (钉钉自定义机器人): `{"msgtype": "markdown", "markdown": {"title",
//!   "text"}}`; signed ("加签") by `timestamp` (ms) and `sign` = Base64(HMAC-SHA256(secret,
//!   "{timestamp}\n{secret}")) in the query; answered `{"errcode": 0}`.
//! - WeCom group robot (企业微信群机器人): `{"msgtype": "markdown", "markdown": {"content"}}`;
//!   answered `{"errcode": 0}`.
//! - Feishu custom bot (飞书自定义机器人): `{"msg_type": "text", "content": {"text"}}`; signed by
//!   `timestamp` (s) and `sign` = Base64(HMAC-SHA256 keyed with "{timestamp}\n{secret}" over
//!   nothing) in the body; answered `{"code": 0}`.
//! - Steward's own webhook: the [`Notice`] as JSON, with `X-Steward-Timestamp` and
//!   `X-Steward-Signature: sha256=hex(HMAC-SHA256(secret, "{timestamp}.{body}"))`.

use base64::Engine;
use hmac::{KeyInit, Mac};
use serde_json::json;

use super::{Channel, Notice};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// One HTTP request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The lines of a message: its headline, facts and link, as Markdown.
fn markdown(n: &Notice, zh: bool) -> String {
    let mut text = format!("### {}\n\n", n.headline(zh));
    for f in n.facts(zh) {
        text.push_str(&format!("- {f}\n"));
    }
    if let Some(link) = &n.link {
        text.push_str(&format!("\n[{}]({link})\n", if zh { "在 Steward 中查看" } else { "Open in Steward" }));
    }
    text
}

/// The request that delivers `n` on `channel` to `target`, at `now` (signatures carry it).
pub fn render(
    channel: Channel,
    target: &str,
    secret: Option<&str>,
    zh: bool,
    n: &Notice,
    now: jiff::Timestamp,
) -> Outgoing {
    let json_header = vec![("content-type".to_owned(), "application/json".to_owned())];
    let plain = {
        let mut lines = vec![n.headline(zh)];
        lines.extend(n.facts(zh));
        lines.extend(n.link.clone());
        lines.join("\n")
    };
    match channel {
        Channel::Slack => {
            let mut text = format!("*{}*", n.headline(zh));
            for f in n.facts(zh) {
                text.push_str(&format!("\n• {f}"));
            }
            if let Some(link) = &n.link {
                text.push_str(&format!(
                    "\n<{link}|{}>",
                    if zh { "在 Steward 中查看" } else { "Open in Steward" }
                ));
            }
            let body = json!({
                "text": n.headline(zh),
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
            });
            Outgoing { url: target.to_owned(), headers: json_header, body: body.to_string() }
        }
        Channel::DingTalk => {
            let mut url = target.to_owned();
            if let Some(secret) = secret {
                let ts = now.as_millisecond().to_string();
                let sign = b64(&mac(secret.as_bytes(), &[ts.as_bytes(), b"\n", secret.as_bytes()]));
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!("{url}{sep}timestamp={ts}&sign={}", query_value(&sign));
            }
            let body = json!({
                "msgtype": "markdown",
                "markdown": {"title": n.headline(zh), "text": markdown(n, zh)},
            });
            Outgoing { url, headers: json_header, body: body.to_string() }
        }
        Channel::WeCom => {
            let body = json!({"msgtype": "markdown", "markdown": {"content": markdown(n, zh)}});
            Outgoing { url: target.to_owned(), headers: json_header, body: body.to_string() }
        }
        Channel::Feishu => {
            let mut body = json!({"msg_type": "text", "content": {"text": plain}});
            if let Some(secret) = secret {
                let ts = now.as_second().to_string();
                let key = format!("{ts}\n{secret}");
                body["timestamp"] = json!(ts);
                body["sign"] = json!(b64(&mac(key.as_bytes(), &[])));
            }
            Outgoing { url: target.to_owned(), headers: json_header, body: body.to_string() }
        }
        Channel::Webhook | Channel::Email => {
            let body = json!({
                "event": n.topic.as_str(),
                "id": n.seq,
                "reference": n.reference,
                "title": n.title,
                "text": plain,
                "link": n.link,
                "priority": n.priority,
                "team": n.team_name,
                "service": n.service,
                "severity": n.severity,
                "labels": n.labels,
                "at": n.at,
            })
            .to_string();
            let mut headers = json_header;
            if let Some(secret) = secret {
                let ts = now.as_second().to_string();
                let sig = hex::encode(mac(secret.as_bytes(), &[ts.as_bytes(), b".", body.as_bytes()]));
                headers.push(("x-steward-timestamp".to_owned(), ts));
                headers.push(("x-steward-signature".to_owned(), format!("sha256={sig}")));
            }
            headers.push(("x-steward-event".to_owned(), n.topic.as_str().to_owned()));
            Outgoing { url: target.to_owned(), headers, body }
        }
    }
}

/// Whether the receiver took the message: a 2xx, and for the chat robots that answer 200 with
/// an error code in the body, code 0. The error says what it answered.
pub fn accepted(channel: Channel, status: u16, body: &str) -> Result<(), String> {
    let short: String = body.chars().take(300).collect();
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}: {short}"));
    }
    let code = |keys: &[&str]| -> Option<i64> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        keys.iter().find_map(|k| v.get(*k).and_then(serde_json::Value::as_i64))
    };
    let failed = match channel {
        Channel::DingTalk | Channel::WeCom => code(&["errcode"]).is_none_or(|c| c != 0),
        Channel::Feishu => code(&["code", "StatusCode"]).is_none_or(|c| c != 0),
        Channel::Slack | Channel::Webhook | Channel::Email => false,
    };
    if failed {
        return Err(format!("refused: {short}"));
    }
    Ok(())
}

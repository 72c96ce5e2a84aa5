//! Loki's push API in its native encoding: a snappy-compressed (block format) protobuf
//! `PushRequest`, as promtail, Grafana Alloy and the Loki clients send it. The messages mirror
//! `pkg/push/push.proto` of grafana/loki field for field; `labels` and `line` are read as bytes
//! (wire-compatible with `string`) so that invalid UTF-8 in a log line is kept, not refused.

use jiff::Timestamp;
use prost::Message;
use steward_app::logs::IncomingLine;

use crate::error::ApiError;

#[derive(Clone, PartialEq, Message)]
pub struct PushRequest {
    #[prost(message, repeated, tag = "1")]
    pub streams: Vec<StreamAdapter>,
}

#[derive(Clone, PartialEq, Message)]
pub struct StreamAdapter {
    /// Prometheus-style labels: `{job="api", host="web-01"}`.
    #[prost(bytes = "vec", tag = "1")]
    pub labels: Vec<u8>,
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<EntryAdapter>,
    #[prost(uint64, tag = "3")]
    pub hash: u64,
}

#[derive(Clone, PartialEq, Message)]
pub struct EntryAdapter {
    #[prost(message, optional, tag = "1")]
    pub timestamp: Option<ProtoTimestamp>,
    #[prost(bytes = "vec", tag = "2")]
    pub line: Vec<u8>,
    #[prost(message, repeated, tag = "3")]
    pub structured_metadata: Vec<LabelPairAdapter>,
}

#[derive(Clone, PartialEq, Message)]
pub struct LabelPairAdapter {
    #[prost(bytes = "vec", tag = "1")]
    pub name: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, Message)]
pub struct ProtoTimestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

pub fn decode(body: &[u8]) -> Result<Vec<IncomingLine>, ApiError> {
    // The block says how long it will be: more than four bodies' worth is refused unread.
    let len = snap::raw::decompress_len(body)
        .map_err(|e| ApiError::invalid("body", format!("not a snappy-compressed block: {e}")))?;
    if len > 4 * super::LOG_BODY_BYTES {
        return Err(crate::limits::too_large(format!("the push decompresses to {} MiB", len >> 20)));
    }
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| ApiError::invalid("body", format!("not a snappy-compressed block: {e}")))?;
    let push = PushRequest::decode(raw.as_slice())
        .map_err(|e| ApiError::invalid("body", format!("not a Loki PushRequest: {e}")))?;
    let mut lines = Vec::new();
    for (s, stream) in push.streams.into_iter().enumerate() {
        let labels = parse_labels(&String::from_utf8_lossy(&stream.labels)).ok_or_else(|| {
            ApiError::invalid(format!("streams[{s}].labels"), "expected {name=\"value\", …}")
        })?;
        let (host, source, level) = super::ingest::stream_fields(&labels);
        for (i, e) in stream.entries.into_iter().enumerate() {
            let at = e.timestamp.and_then(|t| Timestamp::new(t.seconds, t.nanos).ok()).ok_or_else(|| {
                ApiError::invalid(format!("streams[{s}].entries[{i}].timestamp"), "missing or out of range")
            })?;
            lines.push(IncomingLine {
                at: Some(at),
                source: source.clone(),
                host: host.clone(),
                level,
                message: String::from_utf8_lossy(&e.line).into_owned(),
            });
        }
    }
    Ok(lines)
}

/// `{a="x", b="y \"q\""}` → a map; `None` when malformed. Hand-rolled: the grammar is four
/// rules, and the crates that parse PromQL selectors bring a query language with them.
pub fn parse_labels(text: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut out = std::collections::BTreeMap::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_')).collect();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if name.is_empty() || chars.next()? != '=' {
            return None;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next()? != '"' {
            return None;
        }
        let mut value = String::new();
        loop {
            match chars.next()? {
                '\\' => match chars.next()? {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        out.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_with_escapes_and_refuse_garbage() {
        let l = parse_labels(r#"{job="api", host="web-01",msg="a \"b\"\\"}"#).unwrap();
        assert_eq!(l["job"], "api");
        assert_eq!(l["host"], "web-01");
        assert_eq!(l["msg"], "a \"b\"\\");
        assert_eq!(parse_labels("{}").unwrap().len(), 0);
        assert!(parse_labels("job=api").is_none());
        assert!(parse_labels("{job=api}").is_none());
        assert!(parse_labels("{job=\"unterminated}").is_none());
    }

    #[test]
    fn a_push_request_round_trips_and_garbage_is_refused() {
        let push = PushRequest {
            streams: vec![StreamAdapter {
                labels: br#"{host="db-01", job="postgres", level="error"}"#.to_vec(),
                entries: vec![EntryAdapter {
                    timestamp: Some(ProtoTimestamp { seconds: 1_700_000_000, nanos: 5 }),
                    line: b"FATAL: too many connections \xff".to_vec(),
                    structured_metadata: vec![],
                }],
                hash: 0,
            }],
        };
        let body = snap::raw::Encoder::new().compress_vec(&push.encode_to_vec()).unwrap();
        let lines = decode(&body).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].host, "db-01");
        assert_eq!(lines[0].source, "postgres");
        assert!(lines[0].message.starts_with("FATAL: too many connections"));
        assert_eq!(decode(b"\x00\x01garbage").unwrap_err().field.as_deref(), Some("body"));
        let not_proto = snap::raw::Encoder::new().compress_vec(b"\xff\xff\xff\xff").unwrap();
        assert_eq!(decode(&not_proto).unwrap_err().field.as_deref(), Some("body"));
    }
}

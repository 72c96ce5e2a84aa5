//! Syslog messages: RFC 5424 and the older BSD format (RFC 3164), as `logger`, rsyslog and
//! network devices send them, and RFC 6587's framing over TCP (octet counting, or one message
//! per line). Anything that does not parse is still a message: the whole text, received now.

use jiff::Timestamp;
use jiff::civil::DateTime;

use super::Level;

/// A parsed syslog message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogMessage {
    pub at: Option<Timestamp>,
    pub host: Option<String>,
    /// APP-NAME (5424) or TAG (3164).
    pub app: Option<String>,
    pub level: Level,
    pub message: String,
}

/// Parses one message. `now` dates a BSD timestamp, which carries no year.
pub fn parse(raw: &str, now: Timestamp) -> SyslogMessage {
    let raw = raw.trim_end_matches(['\n', '\r', '\0']);
    let Some((pri, rest)) = priority(raw) else {
        return SyslogMessage {
            at: None,
            host: None,
            app: None,
            level: Level::guess(raw),
            message: raw.to_owned(),
        };
    };
    let level = Level::from_severity((pri % 8) as u8);
    if let Some(rest) = rest.strip_prefix("1 ") {
        return rfc5424(rest, level);
    }
    rfc3164(rest, level, now)
}

/// `<PRI>`: 0–191.
fn priority(raw: &str) -> Option<(u16, &str)> {
    let rest = raw.strip_prefix('<')?;
    let end = rest.find('>')?;
    if end == 0 || end > 3 {
        return None;
    }
    let pri: u16 = rest[..end].parse().ok()?;
    (pri <= 191).then_some((pri, &rest[end + 1..]))
}

fn nil(field: &str) -> Option<String> {
    (field != "-" && !field.is_empty()).then(|| field.to_owned())
}

fn rfc5424(rest: &str, level: Level) -> SyslogMessage {
    let mut parts = rest.splitn(6, ' ');
    let timestamp = parts.next().unwrap_or("-");
    let host = parts.next().and_then(nil);
    let app = parts.next().and_then(nil);
    let _procid = parts.next();
    let _msgid = parts.next();
    let tail = parts.next().unwrap_or("");
    let message = skip_structured_data(tail);
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    SyslogMessage { at: timestamp.parse::<Timestamp>().ok(), host, app, level, message: message.to_owned() }
}

/// Skips STRUCTURED-DATA (`-` or `[id k="v"]…`, with `\]`, `\"` and `\\` escaped) and the space
/// after it.
fn skip_structured_data(tail: &str) -> &str {
    if let Some(rest) = tail.strip_prefix('-') {
        return rest.strip_prefix(' ').unwrap_or(rest);
    }
    let bytes = tail.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i] == b'[' {
        let mut quoted = false;
        i += 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    let rest = &tail[i.min(tail.len())..];
    rest.strip_prefix(' ').unwrap_or(rest)
}

fn rfc3164(rest: &str, level: Level, now: Timestamp) -> SyslogMessage {
    // `Mmm dd hh:mm:ss ` is 16 bytes; the day may be space-padded.
    let at = rest.get(..15).and_then(|t| bsd_time(t, now));
    let after = if at.is_some() { rest[15..].trim_start_matches(' ') } else { rest };
    // HOSTNAME then TAG[pid]: — the host is present when the first word is not the tag.
    let (host, after) = match after.split_once(' ') {
        Some((first, tail)) if at.is_some() && !first.ends_with(':') => (Some(first.to_owned()), tail),
        _ => (None, after),
    };
    let (app, message) = match after.split_once(": ") {
        Some((tag, msg)) if !tag.contains(' ') && !tag.is_empty() && tag.len() <= 64 => {
            let name = tag.split('[').next().unwrap_or(tag);
            (Some(name.to_owned()), msg)
        }
        _ => (None, after),
    };
    SyslogMessage { at, host, app, level, message: message.to_owned() }
}

fn bsd_time(text: &str, now: Timestamp) -> Option<Timestamp> {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| text.starts_with(m))? as i8 + 1;
    let day: i8 = text.get(4..6)?.trim().parse().ok()?;
    let mut hms = text.get(7..15)?.split(':');
    let (h, m, s): (i8, i8, i8) =
        (hms.next()?.parse().ok()?, hms.next()?.parse().ok()?, hms.next()?.parse().ok()?);
    let utc = jiff::tz::TimeZone::UTC;
    let year = utc.to_datetime(now).year();
    let at = |year| utc.to_timestamp(DateTime::new(year, month, day, h, m, s, 0).ok()?).ok();
    let this_year = at(year)?;
    // A December message read in January belongs to last year.
    if this_year > now + jiff::SignedDuration::from_hours(24) {
        return at(year - 1);
    }
    Some(this_year)
}

/// RFC 6587 framing over a TCP stream: takes the complete messages from the front of `buffer`
/// (octet-counted `LEN SP MSG`, or non-transparent: up to LF or NUL) and leaves a partial one.
/// A line longer than `max` is cut to `max` bytes. An octet count beyond `max` answers `false`:
/// the sender breaks the limit, and the connection is to be closed rather than buffered.
pub fn frames(buffer: &mut Vec<u8>, max: usize, out: &mut Vec<Vec<u8>>) -> bool {
    let mut start = 0;
    loop {
        let rest = &buffer[start..];
        if rest.is_empty() {
            break;
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && digits < 10 && rest.get(digits) == Some(&b' ') {
            let len: usize =
                std::str::from_utf8(&rest[..digits]).ok().and_then(|d| d.parse().ok()).unwrap_or(0);
            let body = digits + 1;
            if len > max {
                buffer.drain(..start);
                return false;
            }
            if rest.len() < body + len {
                break;
            }
            out.push(rest[body..body + len].to_vec());
            start += body + len;
            continue;
        }
        match rest.iter().position(|b| *b == b'\n' || *b == 0) {
            Some(end) => {
                if end > 0 {
                    out.push(rest[..end.min(max)].to_vec());
                }
                start += end + 1;
            }
            None if rest.len() > max => {
                // A line longer than the limit with no end yet: keep its head, drop the rest.
                out.push(rest[..max].to_vec());
                start = buffer.len();
                break;
            }
            None => break,
        }
    }
    buffer.drain(..start);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn rfc5424_with_and_without_structured_data() {
        let m = parse(
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed",
            now(),
        );
        assert_eq!(m.level, Level::Critical);
        assert_eq!(m.host.as_deref(), Some("mymachine.example.com"));
        assert_eq!(m.app.as_deref(), Some("su"));
        assert_eq!(m.at, Some("2003-10-11T22:14:15.003Z".parse().unwrap()));
        assert_eq!(m.message, "'su root' failed");
        let m = parse(
            r#"<165>1 2003-10-11T22:14:15.003+02:00 host evntslog - ID47 [exampleSDID@32473 iut="3" eventID="1011" x="a\]b"][x@1 y="z"] An application event"#,
            now(),
        );
        assert_eq!(m.level, Level::Notice);
        assert_eq!(m.message, "An application event");
        assert_eq!(parse("<13>1 - - - - - -", now()).message, "");
    }

    #[test]
    fn rfc3164_with_host_and_tag() {
        let m = parse("<13>Feb  5 17:32:18 web-01 sshd[4242]: Accepted publickey for root", now());
        assert_eq!(m.level, Level::Notice);
        assert_eq!(m.host.as_deref(), Some("web-01"));
        assert_eq!(m.app.as_deref(), Some("sshd"));
        assert_eq!(m.message, "Accepted publickey for root");
        assert_eq!(m.at, Some("2026-02-05T17:32:18Z".parse().unwrap()));
        // December read in March: last year? No — December is after March, so last year.
        let m = parse("<11>Dec 31 23:59:59 db kernel: oops", now());
        assert_eq!(m.at, Some("2025-12-31T23:59:59Z".parse().unwrap()));
        assert_eq!(m.level, Level::Error);
        // Without a host (local logger): the first word is the tag.
        let m = parse("<14>Mar  1 11:00:00 cron: job done", now());
        assert_eq!((m.host, m.app.as_deref(), m.message.as_str()), (None, Some("cron"), "job done"));
    }

    #[test]
    fn anything_else_is_a_message() {
        let m = parse("just text ERROR here", now());
        assert_eq!(m.message, "just text ERROR here");
        assert_eq!(m.at, None);
        assert_eq!(parse("<999>1 x", now()).message, "<999>1 x");
        assert_eq!(parse("<1>garbage", now()).message, "garbage");
    }

    #[test]
    fn framing_octet_counted_and_by_line() {
        let mut buf = b"11 <13>1 - a b12 <13>1 - x y\n<13>plain\n<14>partial".to_vec();
        let mut out = Vec::new();
        assert!(frames(&mut buf, 1024, &mut out));
        let texts: Vec<String> = out.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        assert_eq!(texts, ["<13>1 - a b", "<13>1 - x y\n", "<13>plain"]);
        assert_eq!(buf, b"<14>partial");
        // A line beyond the limit is cut, not held.
        let mut buf = vec![b'x'; 5000];
        out.clear();
        assert!(frames(&mut buf, 1000, &mut out));
        assert_eq!(out[0].len(), 1000);
        assert!(buf.is_empty());
        // An octet count beyond the limit is refused, not buffered.
        let mut buf = b"999999999 <13>1 huge".to_vec();
        out.clear();
        assert!(!frames(&mut buf, 1000, &mut out));
        assert!(out.is_empty());
    }
}

//! Logs (issue 22): a log line as Steward keeps it, its level, and the syslog wire formats.
//! Template mining itself is in `steward-aiops`; the lines are stored in compressed chunks, not
//! as events (hundreds of thousands a second would drown the event log) — what they cause
//! (alerts from anomalies) enters the alert pipeline and its events.

pub mod syslog;

use std::fmt;

use jiff::Timestamp;

/// Longest message kept whole; a longer one is cut here (and counted as cut).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Only this much of a message is mined for its template: a megabyte line's shape is in its head.
pub const MINED_BYTES: usize = 4096;
/// Longest source or host name.
pub const MAX_NAME_CHARS: usize = 200;

/// How severe a line says it is, in syslog's eight words (RFC 5424 severities, most severe
/// first, so `Ord` puts `Emergency` first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Level {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    #[default]
    Info,
    Debug,
}

impl Level {
    pub const ALL: [Level; 8] = [
        Level::Emergency,
        Level::Alert,
        Level::Critical,
        Level::Error,
        Level::Warning,
        Level::Notice,
        Level::Info,
        Level::Debug,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Emergency => "emergency",
            Level::Alert => "alert",
            Level::Critical => "critical",
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// From a syslog severity number (0–7).
    pub fn from_severity(n: u8) -> Level {
        Level::ALL[usize::from(n.min(7))]
    }

    /// From the words loggers use (`ERROR`, `err`, `warn`, `fatal`, `trace`…); `None` when
    /// it is not one.
    pub fn parse(word: &str) -> Option<Level> {
        let w = word.trim().to_ascii_lowercase();
        Some(match w.as_str() {
            "emerg" | "emergency" | "panic" => Level::Emergency,
            "alert" => Level::Alert,
            "crit" | "critical" | "fatal" | "severe" => Level::Critical,
            "err" | "error" | "e" => Level::Error,
            "warn" | "warning" | "w" => Level::Warning,
            "notice" => Level::Notice,
            "info" | "information" | "informational" | "i" => Level::Info,
            "debug" | "trace" | "d" | "verbose" => Level::Debug,
            _ => return None,
        })
    }

    /// The level a message states in its first words (`ERROR …`, `[warn] …`, `level=error`),
    /// else `Info`.
    pub fn guess(message: &str) -> Level {
        for word in message.split_whitespace().take(4) {
            let w = word.trim_matches(|c: char| matches!(c, '[' | ']' | '(' | ')' | ':' | '<' | '>' | ','));
            let w = w.strip_prefix("level=").unwrap_or(w);
            if w.len() >= 3
                && let Some(level) = Level::parse(w)
            {
                return level;
            }
        }
        Level::Info
    }

    /// At least as severe as `other`.
    pub fn at_least(self, other: Level) -> bool {
        self <= other
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line as received, before mining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When it was written (the sender's time), or received.
    pub at: Timestamp,
    /// Which stream: `syslog`, `loki`, an application's name.
    pub source: String,
    pub host: String,
    pub level: Level,
    pub message: String,
}

impl LogLine {
    /// A line from a sender's fields, made safe: names cut to `MAX_NAME_CHARS` and control
    /// characters dropped from them, the message cut to `MAX_MESSAGE_BYTES` (answering whether
    /// it was cut) with NUL bytes replaced (PostgreSQL and the chunk format refuse them).
    pub fn new(at: Timestamp, source: &str, host: &str, level: Level, message: &str) -> (LogLine, bool) {
        let cut = message.len() > MAX_MESSAGE_BYTES;
        let mut message =
            if cut { &message[..floor_char_boundary(message, MAX_MESSAGE_BYTES)] } else { message }
                .to_owned();
        if message.contains('\0') {
            message = message.replace('\0', "\u{fffd}");
        }
        let line = LogLine { at, source: clean_name(source), host: clean_name(host), level, message };
        (line, cut)
    }

    /// The part of the message that is mined.
    pub fn mined(&self) -> &str {
        &self.message[..floor_char_boundary(&self.message, MINED_BYTES)]
    }
}

fn clean_name(name: &str) -> String {
    name.trim().chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect()
}

/// The largest char boundary ≤ `at` (str::floor_char_boundary is not stable yet).
pub fn floor_char_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    let mut i = at;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_words_numbers_and_messages() {
        assert_eq!(Level::parse("ERR"), Some(Level::Error));
        assert_eq!(Level::parse("fatal"), Some(Level::Critical));
        assert_eq!(Level::parse("nonsense"), None);
        assert_eq!(Level::from_severity(3), Level::Error);
        assert_eq!(Level::from_severity(200), Level::Debug);
        assert_eq!(Level::guess("[error] disk failed"), Level::Error);
        assert_eq!(Level::guess("2026-12-05 WARN pool low"), Level::Warning);
        assert_eq!(Level::guess("level=debug msg=x"), Level::Debug);
        assert_eq!(Level::guess("everything is fine"), Level::Info);
        assert!(Level::Critical.at_least(Level::Warning));
        assert!(!Level::Info.at_least(Level::Warning));
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary_and_names_cleaned() {
        let long = "日".repeat(MAX_MESSAGE_BYTES);
        let (line, cut) = LogLine::new(Timestamp::UNIX_EPOCH, "app\u{7}", " web-01 ", Level::Info, &long);
        assert!(cut);
        assert!(line.message.len() <= MAX_MESSAGE_BYTES);
        assert_eq!(line.source, "app");
        assert_eq!(line.host, "web-01");
        assert!(line.mined().len() <= MINED_BYTES);
        let (nul, cut) = LogLine::new(Timestamp::UNIX_EPOCH, "a", "h", Level::Info, "a\0b");
        assert!(!cut);
        assert_eq!(nul.message, "a\u{fffd}b");
    }
}

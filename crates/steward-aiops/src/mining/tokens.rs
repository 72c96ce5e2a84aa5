//! A line into masked tokens: the one place that decides what obviously varies.
//!
//! Hand-rolled over bytes instead of regexes: it runs once per ingested line, and the
//! steady-state target is a million lines a second on one core.
//!
//! Rules (one configuration for every system, no per-source tuning):
//! - tokens are split on ASCII whitespace;
//! - inside a token, every maximal run of ASCII letters and digits that holds a digit is a
//!   variable, written `<*>` (`blk_-42` → `blk_<*>`, `10.0.0.1:80` → `<*>.<*>.<*>.<*>:<*>`); a `-`
//!   directly before such a run is its sign when nothing alphanumeric precedes it;
//! - weekday and month abbreviations (dates written out) are variables;
//! - a unit after a number (`9.2 KB`) belongs to the number.

/// One token after masking, and the span of the original line it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Range in the masked buffer.
    pub masked: (u32, u32),
    /// Range in the original line.
    pub original: (u32, u32),
}

const DATE_WORDS: [&[u8]; 19] = [
    b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun", b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun",
    b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
const UNITS: [&[u8]; 13] =
    [b"B", b"KB", b"MB", b"GB", b"TB", b"ms", b"s", b"sec", b"bytes", b"kB", b"KiB", b"MiB", b"GiB"];

pub const WILDCARD: &str = "<*>";

/// Masks `line` into `out` (cleared first) and its tokens into `tokens`, separated by one space.
pub fn mask(line: &str, out: &mut String, tokens: &mut Vec<Token>) {
    out.clear();
    tokens.clear();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let token = &bytes[start..i];
        if is_unit(token)
            && tokens
                .last()
                .is_some_and(|t| out[t.masked.0 as usize..t.masked.1 as usize].ends_with(WILDCARD))
        {
            if let Some(last) = tokens.last_mut() {
                last.original.1 = i as u32;
            }
            continue;
        }
        if !tokens.is_empty() {
            out.push(' ');
        }
        let masked_start = out.len() as u32;
        if DATE_WORDS.contains(&token) {
            out.push_str(WILDCARD);
        } else {
            mask_token(&line[start..i], out);
        }
        tokens.push(Token { masked: (masked_start, out.len() as u32), original: (start as u32, i as u32) });
    }
}

fn is_unit(token: &[u8]) -> bool {
    let mut end = token.len();
    while end > 0 && matches!(token[end - 1], b',' | b';' | b'.' | b')') {
        end -= 1;
    }
    end > 0 && UNITS.contains(&&token[..end])
}

fn mask_token(token: &str, out: &mut String) {
    let bytes = token.as_bytes();
    // Fast path: no digit at all, the token is literal.
    if !bytes.iter().any(u8::is_ascii_digit) {
        out.push_str(token);
        return;
    }
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let run_start = i;
        let mut digit = false;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            digit |= bytes[i].is_ascii_digit();
            i += 1;
        }
        if digit {
            let signed = run_start > 0
                && bytes[run_start - 1] == b'-'
                && (run_start == 1 || !bytes[run_start - 2].is_ascii_alphanumeric());
            let from = if signed { run_start - 1 } else { run_start };
            out.push_str(&token[copied..from]);
            out.push_str(WILDCARD);
            copied = i;
        }
    }
    out.push_str(&token[copied..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(line: &str) -> String {
        let (mut out, mut tokens) = (String::new(), Vec::new());
        mask(line, &mut out, &mut tokens);
        out
    }

    #[test]
    fn variables_inside_tokens_are_masked_and_words_kept() {
        assert_eq!(
            masked("Deleting block blk_-3594 file /mnt/data/subdir54/blk_-3594"),
            "Deleting block blk_<*> file /mnt/data/<*>/blk_<*>"
        );
        assert_eq!(masked("from 10.251.71.240:50010 port -103"), "from <*>.<*>.<*>.<*>:<*> port <*>");
        assert_eq!(masked("BIOS-e820: 0000 - 9f800 (usable)"), "BIOS-<*>: <*> - <*> (usable)");
        assert_eq!(masked("at Fri Jun 17 02:38:22 2005"), "at <*> <*> <*> <*>:<*>:<*> <*>");
        assert_eq!(masked("size 9.2 KB, free 868.3 KB)"), "size <*>.<*> free <*>.<*>");
        assert_eq!(masked("  用户 登录失败\t0x1f  "), "用户 登录失败 <*>");
        assert_eq!(masked(""), "");
    }

    #[test]
    fn tokens_keep_their_original_spans() {
        let (mut out, mut tokens) = (String::new(), Vec::new());
        let line = "size 9.2 KB, x";
        mask(line, &mut out, &mut tokens);
        let spans: Vec<&str> =
            tokens.iter().map(|t| &line[t.original.0 as usize..t.original.1 as usize]).collect();
        assert_eq!(spans, ["size", "9.2 KB,", "x"]);
    }
}

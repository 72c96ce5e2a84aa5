//! What a step prints: secrets masked, and kept within a cap — the head as it comes (so it
//! streams live), then only the tail, with how much was left out between them.

/// Replaces every secret value in text with `***`.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Masker {
        // Longest first, so a secret containing another is masked whole. Values shorter than
        // three characters would mask ordinary text everywhere and tell nothing.
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.chars().count() >= 3).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Masker { secrets }
    }

    pub fn add(&mut self, secret: String) {
        let mut all = std::mem::take(&mut self.secrets);
        all.push(secret);
        *self = Masker::new(all);
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
            // A secret that spans lines (a key) is masked line by line too.
            if s.contains('\n') {
                for line in s.lines().filter(|l| l.trim().len() >= 8) {
                    out = out.replace(line, "***");
                }
            }
        }
        out
    }
}

/// The output kept of one step: up to half the limit from the start, streamed as it comes;
/// then the last half of the limit, written when the step ends. Bytes, so a gigabyte without a
/// newline costs no more than one with many.
#[derive(Debug)]
pub struct OutputCap {
    head_left: usize,
    tail_limit: usize,
    tail: Vec<u8>,
    dropped: u64,
}

impl OutputCap {
    pub fn new(limit: u64) -> OutputCap {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        OutputCap { head_left: limit / 2, tail_limit: limit - limit / 2, tail: Vec::new(), dropped: 0 }
    }

    /// Takes bytes as they arrive; answers the part to store now (the head), if any.
    pub fn push<'a>(&mut self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        if self.head_left > 0 {
            let take = bytes.len().min(self.head_left);
            self.head_left -= take;
            self.keep_tail(&bytes[take..]);
            return (take > 0).then(|| &bytes[..take]);
        }
        self.keep_tail(bytes);
        None
    }

    fn keep_tail(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if bytes.len() >= self.tail_limit {
            self.dropped += (self.tail.len() + bytes.len() - self.tail_limit) as u64;
            self.tail.clear();
            self.tail.extend_from_slice(&bytes[bytes.len() - self.tail_limit..]);
            return;
        }
        self.tail.extend_from_slice(bytes);
        // Trimmed when twice the limit, so the copying is paid once per limit's worth of bytes.
        if self.tail.len() >= 2 * self.tail_limit.max(1) {
            let over = self.tail.len() - self.tail_limit;
            self.tail.drain(..over);
            self.dropped += over as u64;
        }
    }

    /// Bytes not stored (so far).
    pub fn dropped(&self) -> u64 {
        self.dropped + self.tail.len().saturating_sub(self.tail_limit) as u64
    }

    /// What is left to store when the step ends — the tail — and how many bytes were left out
    /// before it.
    pub fn finish(mut self) -> (Vec<u8>, u64) {
        let over = self.tail.len().saturating_sub(self.tail_limit);
        self.tail.drain(..over);
        (self.tail, self.dropped + over as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_longest_first() {
        let m = Masker::new(["hunter2-long".to_owned(), "hunter2".to_owned(), "ab".to_owned()]);
        assert_eq!(m.mask("pw=hunter2-long other=hunter2 ab"), "pw=*** other=*** ab");
    }

    #[test]
    fn output_keeps_head_and_tail_within_the_limit() {
        let mut cap = OutputCap::new(20);
        let mut stored = Vec::new();
        for i in 0..100 {
            let line = format!("{i:03}\n");
            if let Some(s) = cap.push(line.as_bytes()) {
                stored.extend_from_slice(s);
            }
        }
        assert_eq!(stored, b"000\n001\n00");
        let (tail, dropped) = cap.finish();
        assert_eq!(tail, b"7\n098\n099\n");
        assert_eq!(dropped, 400 - 20);
        let mut small = OutputCap::new(1024);
        assert_eq!(small.push(b"ok\n"), Some(&b"ok\n"[..]));
        assert_eq!(small.finish(), (Vec::new(), 0));
        let mut huge = OutputCap::new(8);
        assert_eq!(huge.push(&[b'x'; 100]), Some(&[b'x'; 4][..]));
        assert_eq!(huge.finish(), (vec![b'x'; 4], 92));
    }
}

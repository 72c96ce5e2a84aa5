//! Text to features for the triage classifier, Chinese and English alike: lower-cased words and
//! word pairs, jieba's words for Chinese runs with their character pairs, each hashed into a
//! fixed space, counted as log(1 + n) and L2-normalised. The title counts twice: it is what the
//! requester thought mattered most.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use jieba_rs::Jieba;
use rustc_hash::{FxHashMap, FxHasher};

/// Feature space: 2^20 buckets.
const BUCKETS: u32 = 1 << 20;

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}')
}

fn bucket(kind: u8, text: &str) -> u32 {
    let mut h = FxHasher::default();
    kind.hash(&mut h);
    text.hash(&mut h);
    (h.finish() % u64::from(BUCKETS)) as u32
}

/// A sparse, normalised feature vector.
pub type Features = Vec<(u32, f32)>;

/// The features of a ticket's title and description.
pub fn features(title: &str, description: &str) -> Features {
    let mut counts: FxHashMap<u32, f32> = FxHashMap::default();
    add(&mut counts, title, 2.0);
    add(&mut counts, description, 1.0);
    let mut out: Features = counts.into_iter().map(|(f, n)| (f, (1.0 + n).ln())).collect();
    let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|(_, v)| *v /= norm);
    }
    out.sort_unstable_by_key(|(f, _)| *f);
    out
}

fn add(counts: &mut FxHashMap<u32, f32>, text: &str, weight: f32) {
    let text = text.to_lowercase();
    let mut previous: Option<String> = None;
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_alphanumeric() && !is_cjk(c) {
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if c.is_alphanumeric() && !is_cjk(c) || c == '-' || c == '_' {
                    end = i + c.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let word = &text[start..end];
            // Numbers say little about what kind of trouble it is.
            if word.chars().any(char::is_alphabetic) {
                *counts.entry(bucket(b'w', word)).or_default() += weight;
                // Letter triples (with the word's edges): "printer", "printing" and "prints"
                // share most of theirs.
                let padded: Vec<char> = format!("^{word}$").chars().collect();
                for t in padded.windows(3) {
                    *counts.entry(bucket(b't', &t.iter().collect::<String>())).or_default() += weight * 0.3;
                }
                if let Some(p) = &previous {
                    *counts.entry(bucket(b'p', &format!("{p} {word}"))).or_default() += weight;
                }
                previous = Some(word.to_owned());
            }
        } else if is_cjk(c) {
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if is_cjk(c) {
                    end = i + c.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let run = &text[start..end];
            for word in jieba().cut(run, true) {
                *counts.entry(bucket(b'z', word.word)).or_default() += weight;
            }
            let cs: Vec<char> = run.chars().collect();
            for pair in cs.windows(2) {
                *counts.entry(bucket(b'b', &pair.iter().collect::<String>())).or_default() += weight * 0.5;
            }
            previous = None;
        } else {
            chars.next();
            if !c.is_whitespace() {
                previous = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_make_features_and_the_vector_is_normalised() {
        let en = features("VPN drops every 10 minutes", "Since the update the VPN client disconnects.");
        let zh = features("VPN 连不上", "在家无法连接公司内网，提示证书错误。");
        assert!(en.len() > 5 && zh.len() > 5);
        let norm: f32 = zh.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        // Shared words share features across languages ("vpn").
        let shared = en.iter().filter(|(f, _)| zh.iter().any(|(g, _)| g == f)).count();
        assert!(shared >= 1);
        assert!(features("", "").is_empty());
    }
}

//! How a title search uses SQLite's trigram index.
//!
//! The FTS5 trigram index answers `title LIKE '%term%'` by intersecting the row lists of every
//! trigram of the term. A common trigram lists most tickets (`hos` of `host-1234`), so at a
//! million tickets that took ~25 ms even for a rare term, and a common term (one title in eight)
//! then sorted every match (~0.3 s). So the store first counts each trigram's rows, up to
//! [`SearchTuning::probe_cap`], in one statement (cheap: a capped count reads at most that many row ids), and
//! then picks a [`TitlePlan`].

/// The thresholds of the title-search plan (the defaults suit a million tickets; tests lower
/// them to drive every plan over a few rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchTuning {
    /// Counting a trigram's rows stops here; a trigram with fewer is "rare".
    pub probe_cap: i64,
    /// A bounded walk reads at most this many tickets (in the page's order) before giving up.
    pub walk_rows: i64,
}

impl Default for SearchTuning {
    fn default() -> Self {
        SearchTuning { probe_cap: 5_000, walk_rows: 20_000 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TitlePlan {
    /// A trigram of the term is in no title: only the ticket number can match.
    NoMatch,
    /// Candidates from the rarest trigrams (an FTS5 `MATCH` expression), checked with `LIKE`.
    Candidates(String),
    /// Walk the tickets in the page's order and check `LIKE`, which finds a page of a common
    /// term in a few hundred rows. `bounded`: after [`SearchTuning::walk_rows`] rows without a full page,
    /// ask the index instead (a rare combination of common trigrams).
    Walk { bounded: bool },
    /// The whole term through the trigram index.
    Index,
}

/// The term's distinct trigrams that the index can look up: windows of three characters
/// without `LIKE` wildcards (`_` matches any character, so it cannot be looked up).
pub(super) fn trigrams(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for w in chars.windows(3) {
        let t: String = w.iter().collect();
        if !t.contains(['_', '%']) && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// An FTS5 string literal: the text in double quotes, inner quotes doubled.
pub(super) fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The plan for a term with these trigrams and their row counts (capped at `cap`).
pub(super) fn plan(trigrams: &[String], counts: &[i64], cap: i64) -> TitlePlan {
    if trigrams.is_empty() {
        return TitlePlan::Walk { bounded: false };
    }
    if counts.contains(&0) {
        return TitlePlan::NoMatch;
    }
    let mut rare: Vec<(i64, &String)> =
        counts.iter().copied().zip(trigrams).filter(|(count, _)| *count < cap).collect();
    rare.sort();
    if rare.is_empty() {
        return TitlePlan::Walk { bounded: true };
    }
    // Two rare lists intersect to few rows; a third rarely pays for reading it.
    let phrases: Vec<String> = rare.iter().take(2).map(|(_, t)| fts_phrase(t)).collect();
    TitlePlan::Candidates(phrases.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn trigrams_are_distinct_windows_without_wildcards() {
        assert_eq!(trigrams("host-12"), s(&["hos", "ost", "st-", "t-1", "-12"]));
        assert_eq!(trigrams("连接池超时"), s(&["连接池", "接池超", "池超时"]));
        assert_eq!(trigrams("aaaa"), s(&["aaa"]));
        assert_eq!(trigrams("db"), Vec::<String>::new());
        assert_eq!(trigrams("a_bcd"), s(&["bcd"]), "a wildcard cannot be looked up");
    }

    #[test]
    fn the_rarest_trigrams_pick_the_candidates() {
        let t = s(&["hos", "ost", "t-1", "234", "-12"]);
        assert_eq!(
            plan(&t, &[5000, 5000, 5000, 3000, 4000], 5000),
            TitlePlan::Candidates("\"234\" AND \"-12\"".into())
        );
        assert_eq!(plan(&t, &[5000, 5000, 5000, 5000, 5000], 5000), TitlePlan::Walk { bounded: true });
        assert_eq!(plan(&t, &[5000, 0, 5000, 3, 5000], 5000), TitlePlan::NoMatch);
        assert_eq!(plan(&[], &[], 5000), TitlePlan::Walk { bounded: false });
        assert_eq!(plan(&s(&["a\"b"]), &[1], 5000), TitlePlan::Candidates("\"a\"\"b\"".into()));
    }
}

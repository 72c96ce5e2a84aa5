//! How a title search uses the trigram index (FTS5 `trigram` on SQLite, `pg_trgm` GIN on
//! PostgreSQL).
//!
//! Both indexes answer `title LIKE '%term%'` by intersecting the row lists of every trigram of
//! the term. A common trigram lists most tickets (`hos` of `host-1234`), so at a million tickets
//! that took ~25 ms even for a rare term, and a common term (one title in eight) then sorted
//! every match (~0.3 s on SQLite). So the store estimates each trigram's rows from a
//! [`TrigramSample`] of titles (taken every few minutes, no query per search) and picks a
//! [`TitlePlan`]: look up only the rarest trigrams, or walk the tickets in the page's order when
//! the term is common. Every plan checks the whole term, so an estimate only decides speed.
//!
//! A walk that finds no page within its bound met a term that is common overall but not among
//! the tickets first in the page's order (an old outage's word, when the newest tickets are
//! about something else). Sorting every match would cost ~0.6 s at 125,000 of them, so on
//! SQLite the store counts the index's candidates for the rarest trigrams and either looks them
//! up (few) or walks on in the page's order testing each ticket's id against them, which reads
//! no row that is not a candidate ([`TitlePlan::Probe`]).
//!
//! On SQLite the newest titles reach the index a batch at a time (`insert.rs`); the plans that
//! use the index also scan those few rows ([`NOT_YET_INDEXED`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The thresholds of the title-search plan (the defaults suit a million tickets; tests lower
/// them to drive every plan over a few rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchTuning {
    /// A trigram in fewer rows than this (estimated) is "rare" and worth an index lookup.
    pub rare_below: i64,
    /// A bounded walk reads at most this many tickets (in the page's order) before giving up.
    pub walk_rows: i64,
    /// After a walk gave up (SQLite): at least this many candidates in the index are probed in
    /// the page's order rather than looked up and sorted.
    pub probe_from: i64,
}

impl Default for SearchTuning {
    fn default() -> Self {
        SearchTuning { rare_below: 5_000, walk_rows: 20_000, probe_from: 5_000 }
    }
}

/// How often the sample is taken again.
pub(super) const SAMPLE_EVERY: Duration = Duration::from_secs(600);

/// Titles in a sample.
pub(super) const SAMPLE_ROWS: i64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TitlePlan {
    /// Candidates from these (rare) trigrams, checked against the whole term.
    Candidates(Vec<String>),
    /// Walk the tickets in the page's order and check `LIKE`, which finds a page of a common
    /// term in a few hundred rows. `rows`: after that many rows without a full page, ask the
    /// index instead (a rare combination of common trigrams, or a term that is common but not
    /// among the first tickets); `None` for a term the index cannot look up.
    Walk { rows: Option<i64> },
    /// After a bounded walk gave up, on SQLite: walk on in the page's order and read only the
    /// tickets whose ids are among these (rare) trigrams' candidates, a set built once.
    Probe(Vec<String>),
    /// After a bounded walk gave up, on PostgreSQL: the whole term through the trigram index.
    Index,
}

/// The term's distinct trigrams that the index can look up: windows of three characters
/// without `LIKE` wildcards (`_` matches any character, so it cannot be looked up). `usable`
/// says which the backend's index holds.
pub(super) fn trigrams(term: &str, usable: impl Fn(&str) -> bool) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for w in chars.windows(3) {
        let t: String = w.iter().collect();
        if !t.contains(['_', '%']) && usable(&t) && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// `pg_trgm` (in a C-locale database) indexes trigrams of ASCII letters and digits only.
pub(super) fn pg_usable(trigram: &str) -> bool {
    trigram.chars().all(|c| c.is_ascii_alphanumeric())
}

/// On SQLite, the tickets whose titles are not in the trigram index yet (at most a batch, see
/// `insert.rs`): a search adds those of them that match, by scanning.
pub(super) const NOT_YET_INDEXED: &str =
    "SELECT id FROM tickets WHERE id > (SELECT upto FROM ticket_title_index)";

/// An FTS5 string literal: the text in double quotes, inner quotes doubled.
pub(super) fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// How often each trigram occurs in a sample of titles, to estimate its rows in the table.
#[derive(Debug, Clone)]
pub(crate) struct TrigramSample {
    pub taken: Instant,
    /// Titles sampled, and rows the table is estimated to hold.
    sampled: i64,
    total: i64,
    /// Titles (of the sample) holding each lower-cased trigram.
    titles_with: HashMap<String, i64>,
}

impl TrigramSample {
    pub fn of(titles: &[String], total: i64, taken: Instant) -> TrigramSample {
        let mut titles_with: HashMap<String, i64> = HashMap::new();
        for title in titles {
            let lower: Vec<char> = title.to_lowercase().chars().collect();
            let mut seen: Vec<String> = lower.windows(3).map(|w| w.iter().collect()).collect();
            seen.sort();
            seen.dedup();
            for t in seen {
                *titles_with.entry(t).or_default() += 1;
            }
        }
        TrigramSample {
            taken,
            sampled: titles.len() as i64,
            total: total.max(titles.len() as i64),
            titles_with,
        }
    }

    /// The rows the table was estimated to hold when sampled.
    pub fn total(&self) -> i64 {
        self.total
    }

    /// The rows estimated to hold `trigram` (case-insensitive).
    pub fn estimate(&self, trigram: &str) -> i64 {
        let n = self.titles_with.get(&trigram.to_lowercase()).copied().unwrap_or(0);
        if self.sampled == 0 { 0 } else { n * self.total / self.sampled }
    }
}

/// `SAMPLE_ROWS` ids spread over `1..=max_id` (all of them when fewer): splitmix64 over the
/// index, so the spread is even without following any period in the data, and the same
/// sample comes back for the same table size. Hand-rolled: five lines against a dependency.
pub(super) fn sample_ids(max_id: i64) -> Vec<i64> {
    if max_id <= SAMPLE_ROWS {
        return (1..=max_id).collect();
    }
    let mix = |k: u64| {
        let mut z = k.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut ids: Vec<i64> = (0..SAMPLE_ROWS as u64).map(|k| 1 + (mix(k) % max_id as u64) as i64).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The plan for a term with these usable trigrams, given their estimated rows of the `total`,
/// for a page of `page` rows.
pub(super) fn plan(
    trigrams: &[String],
    estimates: &[i64],
    total: i64,
    page: i64,
    tuning: &SearchTuning,
) -> TitlePlan {
    let rare = rarest(trigrams, estimates, tuning.rare_below);
    if !rare.is_empty() {
        return TitlePlan::Candidates(rare);
    }
    if trigrams.is_empty() {
        return TitlePlan::Walk { rows: None };
    }
    TitlePlan::Walk { rows: Some(walk_rows(estimates, total, page, tuning.walk_rows)) }
}

/// How far a walk goes before it gives up: far enough to expect the page eight times over were
/// the term as common as its rarest trigram (it is at most that common), at least 1,000 rows
/// (estimates are rough), at most `max`. A term that the sample calls common but that the first
/// tickets lack then costs a short walk rather than `max` rows before the index answers.
pub(super) fn walk_rows(estimates: &[i64], total: i64, page: i64, max: i64) -> i64 {
    let rarest = estimates.iter().copied().min().unwrap_or(0);
    if rarest <= 0 {
        return max;
    }
    let expected = (8 * page).saturating_mul(total) / rarest;
    expected.max(1_000).min(max)
}

/// The two trigrams estimated in the fewest rows, of those in fewer than `below`: two lists
/// intersect to few rows, and a third rarely pays for reading it.
pub(super) fn rarest(trigrams: &[String], estimates: &[i64], below: i64) -> Vec<String> {
    let mut rare: Vec<(i64, &String)> =
        estimates.iter().copied().zip(trigrams).filter(|(rows, _)| *rows < below).collect();
    rare.sort();
    rare.into_iter().take(2).map(|(_, t)| t.clone()).collect()
}

/// The FTS5 query for the tickets holding every one of `trigrams`.
pub(super) fn fts_all(trigrams: &[String]) -> String {
    trigrams.iter().map(|g| fts_phrase(g)).collect::<Vec<_>>().join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn trigrams_are_distinct_windows_without_wildcards() {
        let all = |_: &str| true;
        assert_eq!(trigrams("host-12", all), s(&["hos", "ost", "st-", "t-1", "-12"]));
        assert_eq!(trigrams("host-12", pg_usable), s(&["hos", "ost"]));
        assert_eq!(trigrams("连接池超时", all), s(&["连接池", "接池超", "池超时"]));
        assert_eq!(trigrams("aaaa", all), s(&["aaa"]));
        assert_eq!(trigrams("db", all), Vec::<String>::new());
        assert_eq!(trigrams("a_bcd", all), s(&["bcd"]), "a wildcard cannot be looked up");
    }

    #[test]
    fn the_rarest_trigrams_pick_the_candidates() {
        let t = s(&["hos", "ost", "t-1", "234", "-12"]);
        let plan = |t: &[String], e: &[i64], below| {
            plan(t, e, 1_000_000, 51, &SearchTuning { rare_below: below, ..Default::default() })
        };
        assert_eq!(
            plan(&t, &[9000, 9000, 9000, 3000, 4000], 5000),
            TitlePlan::Candidates(s(&["234", "-12"]))
        );
        assert_eq!(plan(&t, &[9000, 0, 9000, 3, 9000], 5000), TitlePlan::Candidates(s(&["ost", "234"])));
        assert_eq!(plan(&t, &[5000; 5], 5000), TitlePlan::Walk { rows: Some(20_000) });
        assert_eq!(plan(&[], &[], 5000), TitlePlan::Walk { rows: None });
        assert_eq!(rarest(&t, &[5000; 5], i64::MAX), s(&["-12", "234"]), "ties by trigram");
        assert_eq!(fts_all(&s(&["a\"b", "连接池"])), r#""a""b" AND "连接池""#);
    }

    #[test]
    fn a_walk_goes_as_far_as_the_rarest_trigram_makes_a_page_likely() {
        // One title in eight holds the term at most: a page of 51 expected in 408 rows.
        assert_eq!(walk_rows(&[125_000, 500_000], 1_000_000, 51, 20_000), 3_264);
        assert_eq!(walk_rows(&[500_000], 1_000_000, 51, 20_000), 1_000, "at least 1,000 rows");
        assert_eq!(walk_rows(&[6_000], 1_000_000, 51, 20_000), 20_000, "at most the maximum");
        assert_eq!(walk_rows(&[125_000], 1_000_000, 51, 3), 3);
        assert_eq!(walk_rows(&[0, 9], 1_000_000, 51, 20_000), 20_000, "no estimate: the maximum");
    }

    #[test]
    fn a_sample_estimates_rows_per_trigram() {
        let titles = s(&["Host down", "host up", "Disk full"]);
        let sample = TrigramSample::of(&titles, 300, Instant::now());
        assert_eq!(sample.estimate("HOS"), 200, "two titles in three, case-insensitive");
        assert_eq!(sample.estimate("isk"), 100);
        assert_eq!(sample.estimate("zzz"), 0);
        assert_eq!(TrigramSample::of(&[], 0, Instant::now()).estimate("hos"), 0);
    }

    #[test]
    fn sample_ids_spread_over_the_table() {
        assert_eq!(sample_ids(3), vec![1, 2, 3]);
        let ids = sample_ids(1_000_000);
        assert!(ids.len() > 4_900 && ids.iter().all(|i| (1..=1_000_000).contains(i)));
        let low = ids.iter().filter(|i| **i <= 500_000).count() as f64 / ids.len() as f64;
        assert!((0.45..0.55).contains(&low), "half the ids in each half: {low}");
        let by_eight: Vec<usize> = (0..8).map(|r| ids.iter().filter(|i| **i % 8 == r).count()).collect();
        assert!(by_eight.iter().all(|n| *n > 500), "no period of the data is followed: {by_eight:?}");
    }
}

//! Duplicate incidents: how much a new incident resembles each open one — its text (TF-IDF
//! cosine over the triage features, Chinese and English alike, weighed by the open incidents
//! themselves, so words every ticket uses count little), a configuration item or service they
//! share, and how close in time they were raised. What resembles enough is flagged for an agent,
//! who merges or dismisses it; nothing is merged by itself.
//!
//! Calibrated on the pairs in the tests below against the triage corpus as background
//! (`data/triage/`): every rephrased twin ranks first and is flagged; incidents about the same
//! thing that are different troubles ("Outlook cannot connect" / "Outlook crashes on
//! attachments") are not.

use rustc_hash::FxHashMap;

use crate::triage::features::{Features, features};

/// A score at or above this flags the pair.
pub const FLAG_AT: f32 = 0.4;
/// The text must resemble at least this much, whatever else they share: two different
/// troubles on one server are not duplicates.
pub const MIN_TEXT: f32 = 0.3;
/// The most resemblances answered for one incident (the best).
pub const MAX_FLAGS: usize = 5;

/// What sharing a configuration item adds to the score.
const SAME_CI: f32 = 0.2;
/// What the same service adds.
const SAME_SERVICE: f32 = 0.1;
/// What being raised at the same moment adds, falling to nothing over `NEAR_SECONDS`.
const NEAR: f32 = 0.1;
const NEAR_SECONDS: i64 = 72 * 3600;

/// An incident as it is compared: its id (newer incidents have larger ids), text, CIs, service
/// and when it was raised (Unix seconds).
#[derive(Debug, Clone, Default)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub cis: Vec<i64>,
    pub service: Option<String>,
    pub created_s: i64,
}

/// How much a new incident resembles an older open one, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Resemblance {
    /// The older incident.
    pub id: i64,
    /// 0–1: the text plus what else they share.
    pub score: f32,
    /// The text's cosine similarity, 0–1.
    pub text: f32,
    /// A configuration item both affect.
    pub shared_ci: Option<i64>,
    pub same_service: bool,
    /// Seconds between their creation.
    pub apart_s: i64,
}

/// The open incidents a new one is compared with, their text weighed once.
pub struct Pool {
    incidents: Vec<(Incident, Features)>,
    idf: FxHashMap<u32, f32>,
    /// The weight of a feature no open incident has.
    rarest: f32,
}

impl Pool {
    pub fn new(open: Vec<Incident>) -> Pool {
        let raw: Vec<Features> = open.iter().map(|i| features(&i.title, &i.description)).collect();
        let mut df: FxHashMap<u32, u32> = FxHashMap::default();
        for x in &raw {
            for (f, _) in x {
                *df.entry(*f).or_default() += 1;
            }
        }
        // The new incident counts as one more document.
        let n = open.len() as f32 + 1.0;
        let idf: FxHashMap<u32, f32> =
            df.into_iter().map(|(f, d)| (f, ((n + 1.0) / (d as f32 + 1.0)).ln() + 1.0)).collect();
        let rarest = (n + 1.0).ln() + 1.0;
        let mut pool = Pool { incidents: Vec::new(), idf, rarest };
        pool.incidents = open.into_iter().zip(raw).map(|(i, x)| (i, pool.weigh(x))).collect();
        pool
    }

    fn weigh(&self, mut x: Features) -> Features {
        for (f, v) in &mut x {
            *v *= self.idf.get(f).copied().unwrap_or(self.rarest);
        }
        let norm = x.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            x.iter_mut().for_each(|(_, v)| *v /= norm);
        }
        x
    }

    /// The older open incidents `new` resembles enough to flag, best first.
    pub fn resembling(&self, new: &Incident) -> Vec<Resemblance> {
        let x = self.weigh(features(&new.title, &new.description));
        let mut found: Vec<Resemblance> = self
            .incidents
            .iter()
            .filter(|(old, _)| old.id < new.id)
            .map(|(old, y)| resemblance(new, &x, old, y))
            .filter(|r| r.text >= MIN_TEXT && r.score >= FLAG_AT)
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.id.cmp(&a.id)));
        found.truncate(MAX_FLAGS);
        found
    }
}

fn resemblance(new: &Incident, x: &Features, old: &Incident, y: &Features) -> Resemblance {
    let text = cosine(x, y).clamp(0.0, 1.0);
    let shared_ci = new.cis.iter().find(|c| old.cis.contains(c)).copied();
    let same_service = match (&new.service, &old.service) {
        (Some(a), Some(b)) => !a.trim().is_empty() && a.trim().eq_ignore_ascii_case(b.trim()),
        _ => false,
    };
    let apart_s = (new.created_s - old.created_s).abs();
    let near = 1.0 - apart_s.min(NEAR_SECONDS) as f32 / NEAR_SECONDS as f32;
    let mut score = text + NEAR * near;
    if shared_ci.is_some() {
        score += SAME_CI;
    }
    if same_service {
        score += SAME_SERVICE;
    }
    Resemblance { id: old.id, score: score.min(1.0), text, shared_ci, same_service, apart_s }
}

/// The dot product of two normalised vectors sorted by feature.
fn cosine(a: &Features, b: &Features) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

#[cfg(test)]
mod tests;

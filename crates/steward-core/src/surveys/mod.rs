//! The customer's voice (issue 23): a CSAT survey after a resolution (1–5 stars and a
//! comment), a monthly NPS survey (0–10 and why), who is asked (`sampled`), what a low score
//! does, and the sentiment of what people wrote (`sentiment.rs`).

mod events;
pub mod leaderboard;
pub mod sentiment;

pub use events::{CsatEvent, NpsEvent};
pub use sentiment::{Sentiment, sentiment};

use crate::tickets::FieldError;
use crate::words::word_enum;

/// A CSAT rating: 1 (very unhappy) to 5 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stars(u8);

impl Stars {
    pub fn parse(n: i64) -> Result<Stars, FieldError> {
        match u8::try_from(n) {
            Ok(s @ 1..=5) => Ok(Stars(s)),
            _ => Err(FieldError::new("stars", format!("stars must be 1 to 5, not {n}"))),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// One or two stars: the team hears of it at once (and, by the setting, the ticket reopens).
    pub fn is_low(self) -> bool {
        self.0 <= 2
    }
}

/// An NPS answer: how likely one is to recommend the service, 0 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NpsScore(u8);

impl NpsScore {
    pub fn parse(n: i64) -> Result<NpsScore, FieldError> {
        match u8::try_from(n) {
            Ok(s @ 0..=10) => Ok(NpsScore(s)),
            _ => Err(FieldError::new("score", format!("score must be 0 to 10, not {n}"))),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn class(self) -> NpsClass {
        match self.0 {
            9..=10 => NpsClass::Promoter,
            7..=8 => NpsClass::Passive,
            _ => NpsClass::Detractor,
        }
    }
}

word_enum! {
    /// Promoters answer 9–10, passives 7–8, detractors 0–6.
    NpsClass, "class" {
        Promoter => "promoter",
        Passive => "passive",
        Detractor => "detractor",
    }
}

/// Answers counted by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NpsTally {
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

impl NpsTally {
    pub fn add(&mut self, score: NpsScore) {
        match score.class() {
            NpsClass::Promoter => self.promoters += 1,
            NpsClass::Passive => self.passives += 1,
            NpsClass::Detractor => self.detractors += 1,
        }
    }

    pub fn answers(&self) -> i64 {
        self.promoters + self.passives + self.detractors
    }

    /// % promoters − % detractors, −100 to 100 (rounded to a whole number); none without answers.
    pub fn nps(&self) -> Option<i64> {
        let n = self.answers();
        (n > 0).then(|| ((self.promoters - self.detractors) as f64 * 100.0 / n as f64).round() as i64)
    }
}

word_enum! {
    /// What a low CSAT score does besides the work note: mail the team's leads, or also
    /// reopen the incident (requests are not reopened: their fulfilment is done).
    LowScoreAction, "csat_low_score_action" {
        Alert => "alert",
        Reopen => "reopen",
    }
}

/// Whether the thing keyed by `key` (a ticket, a user-month) is in a sample of `percent` %.
/// Deterministic, so every node and every rerun agree, and spread evenly over consecutive
/// keys (a 64-bit mix, SplitMix64's finaliser, of the key and `salt`).
pub fn sampled(key: i64, salt: u64, percent: u8) -> bool {
    if percent >= 100 {
        return true;
    }
    let mut z = (key as u64) ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    z % 100 < u64::from(percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_scores_have_ranges() {
        assert!(Stars::parse(0).is_err() && Stars::parse(6).is_err() && Stars::parse(-1).is_err());
        assert_eq!(Stars::parse(6).unwrap_err().field, "stars");
        assert!(Stars::parse(2).unwrap().is_low() && !Stars::parse(3).unwrap().is_low());
        assert!(NpsScore::parse(11).is_err() && NpsScore::parse(-1).is_err());
        assert_eq!(NpsScore::parse(0).unwrap().class(), NpsClass::Detractor);
        assert_eq!(NpsScore::parse(6).unwrap().class(), NpsClass::Detractor);
        assert_eq!(NpsScore::parse(7).unwrap().class(), NpsClass::Passive);
        assert_eq!(NpsScore::parse(9).unwrap().class(), NpsClass::Promoter);
    }

    #[test]
    fn nps_is_promoters_less_detractors() {
        let mut t = NpsTally::default();
        assert_eq!(t.nps(), None);
        for s in [10, 9, 9, 8, 3] {
            t.add(NpsScore::parse(s).unwrap());
        }
        // 3 of 5 promote, 1 of 5 detracts: 60 − 20.
        assert_eq!((t.answers(), t.nps()), (5, Some(40)));
        let mut all_bad = NpsTally::default();
        all_bad.add(NpsScore::parse(0).unwrap());
        assert_eq!(all_bad.nps(), Some(-100));
    }

    #[test]
    fn samples_hold_about_their_share_and_agree_with_themselves() {
        let taken = (1..=10_000).filter(|k| sampled(*k, 1, 30)).count();
        assert!((2700..3300).contains(&taken), "{taken}");
        assert_eq!((1..=10_000).filter(|k| sampled(*k, 1, 100)).count(), 10_000);
        assert_eq!((1..=10_000).filter(|k| sampled(*k, 1, 0)).count(), 0);
        assert_eq!(sampled(42, 7, 50), sampled(42, 7, 50));
        // Another salt (another month) draws another sample.
        let a: Vec<bool> = (1..200).map(|k| sampled(k, 1, 50)).collect();
        let b: Vec<bool> = (1..200).map(|k| sampled(k, 2, 50)).collect();
        assert_ne!(a, b);
    }
}

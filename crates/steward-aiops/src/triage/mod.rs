//! Tickets that triage themselves: from the desk's own resolved incidents, a classifier per
//! field — category, service, team, priority — suggests values for a new ticket with a
//! confidence (`features.rs`: Chinese and English text to features; `model.rs`: the linear
//! model). With too little history it says so instead of guessing.
//!
//! Accuracy and macro-F1 on the labelled corpus in `data/triage/` against a majority-class and
//! a keyword-rule baseline: `eval.rs` (a test) and `docs/aiops.md`.

pub mod features;
pub mod model;

#[cfg(test)]
mod eval;

use features::Features;
use model::Classifier;

/// The fewest examples a field is learned from; fewer and there is no suggestion.
pub const MIN_EXAMPLES: usize = 30;

/// The fields suggested.
pub const FIELDS: [&str; 4] = ["category", "service", "team", "priority"];

/// One resolved ticket as the classifier learns from it: its text and each field's final value
/// (`None` where it was never set).
#[derive(Debug, Clone, Default)]
pub struct Example {
    pub title: String,
    pub description: String,
    pub labels: [Option<String>; 4],
}

/// A suggestion for one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub field: &'static str,
    pub value: String,
    pub confidence: f32,
}

/// Why a field cannot be suggested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untrained {
    /// Fewer than `MIN_EXAMPLES` tickets carry a value for it.
    TooFewExamples { field: &'static str, have: usize },
    /// Every example has the same value: there is nothing to choose.
    OneValue { field: &'static str },
}

/// The four classifiers (a field without enough history has none).
#[derive(Debug, Clone)]
pub struct Triage {
    heads: [Option<Classifier>; 4],
    /// Inverse document frequency of each feature seen in training (rarer words weigh more).
    idf: rustc_hash::FxHashMap<u32, f32>,
    pub untrained: Vec<Untrained>,
    pub examples: usize,
}

impl Triage {
    pub fn train(examples: &[Example]) -> Triage {
        let raw: Vec<Features> =
            examples.iter().map(|e| features::features(&e.title, &e.description)).collect();
        let mut df: rustc_hash::FxHashMap<u32, f32> = rustc_hash::FxHashMap::default();
        for x in &raw {
            for (f, _) in x {
                *df.entry(*f).or_default() += 1.0;
            }
        }
        let n = raw.len() as f32;
        let idf: rustc_hash::FxHashMap<u32, f32> =
            df.into_iter().map(|(f, d)| (f, ((1.0 + n) / (1.0 + d)).ln() + 1.0)).collect();
        let feats: Vec<Features> = raw.into_iter().map(|x| weigh(&idf, x)).collect();
        let mut untrained = Vec::new();
        let heads = std::array::from_fn(|i| {
            let field = FIELDS[i];
            let labelled: Vec<(usize, &str)> =
                examples.iter().enumerate().filter_map(|(n, e)| Some((n, e.labels[i].as_deref()?))).collect();
            if labelled.len() < MIN_EXAMPLES {
                untrained.push(Untrained::TooFewExamples { field, have: labelled.len() });
                return None;
            }
            let mut classes: Vec<String> = labelled.iter().map(|(_, l)| (*l).to_owned()).collect();
            classes.sort();
            classes.dedup();
            if classes.len() < 2 {
                untrained.push(Untrained::OneValue { field });
                return None;
            }
            let data: Vec<(&Features, usize)> = labelled
                .iter()
                .map(|(n, l)| (&feats[*n], classes.binary_search_by(|c| c.as_str().cmp(l)).unwrap_or(0)))
                .collect();
            Some(Classifier::train(classes, &data, 40))
        });
        Triage { heads, idf, untrained, examples: examples.len() }
    }

    /// The suggested value of each trained field, most confident first within none (in
    /// `FIELDS` order).
    pub fn suggest(&self, title: &str, description: &str) -> Vec<Suggestion> {
        let x = weigh(&self.idf, features::features(title, description));
        self.heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                let h = h.as_ref()?;
                let (c, p) = h.predict(&x);
                Some(Suggestion { field: FIELDS[i], value: h.classes[c].clone(), confidence: p })
            })
            .collect()
    }

    /// Whether `field` has a classifier.
    pub fn knows(&self, field: &str) -> bool {
        FIELDS.iter().position(|f| *f == field).is_some_and(|i| self.heads[i].is_some())
    }

    /// The model as bytes: the example count, the IDF table, then each head's bytes
    /// length-prefixed (an absent head is empty).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = (self.examples as u32).to_le_bytes().to_vec();
        out.extend((self.idf.len() as u32).to_le_bytes());
        let mut idf: Vec<_> = self.idf.iter().collect();
        idf.sort_unstable_by_key(|(f, _)| **f);
        for (f, v) in idf {
            out.extend(f.to_le_bytes());
            out.extend(v.to_le_bytes());
        }
        for h in &self.heads {
            let b = h.as_ref().map(Classifier::to_bytes).unwrap_or_default();
            out.extend((b.len() as u32).to_le_bytes());
            out.extend(b);
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Triage> {
        let examples = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        let count = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?) as usize;
        let mut at = 8;
        let mut idf = rustc_hash::FxHashMap::default();
        for _ in 0..count {
            let f = u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
            let v = f32::from_le_bytes(bytes.get(at + 4..at + 8)?.try_into().ok()?);
            idf.insert(f, v);
            at += 8;
        }
        let mut heads: [Option<Classifier>; 4] = Default::default();
        for h in &mut heads {
            let len = u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
            at += 4;
            let b = bytes.get(at..at + len)?;
            at += len;
            *h = if b.is_empty() { None } else { Some(Classifier::from_bytes(b)?) };
        }
        Some(Triage { heads, idf, untrained: Vec::new(), examples })
    }
}

/// TF × IDF, normalised again; a feature never seen in training gets the rarest weight.
fn weigh(idf: &rustc_hash::FxHashMap<u32, f32>, mut x: Features) -> Features {
    let unseen = idf.values().copied().fold(1.0, f32::max);
    for (f, v) in &mut x {
        *v *= idf.get(f).copied().unwrap_or(unseen);
    }
    let norm = x.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        x.iter_mut().for_each(|(_, v)| *v /= norm);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(title: &str, category: &str) -> Example {
        Example {
            title: title.into(),
            description: String::new(),
            labels: [Some(category.into()), None, None, None],
        }
    }

    #[test]
    fn too_little_history_is_said_not_guessed() {
        let few: Vec<Example> = (0..10).map(|i| example(&format!("vpn down {i}"), "VPN")).collect();
        let t = Triage::train(&few);
        assert!(t.suggest("vpn down", "").is_empty());
        assert_eq!(t.untrained[0], Untrained::TooFewExamples { field: "category", have: 10 });
        let same: Vec<Example> = (0..40).map(|i| example(&format!("vpn down {i}"), "VPN")).collect();
        assert!(Triage::train(&same).untrained.contains(&Untrained::OneValue { field: "category" }));
    }

    #[test]
    fn a_model_learns_and_survives_its_bytes() {
        let mut data = Vec::new();
        for i in 0..30 {
            data.push(example(&format!("VPN keeps dropping at home {i}"), "VPN"));
            data.push(example(&format!("打印机卡纸 {i}"), "Printer"));
        }
        let t = Triage::train(&data);
        let s = t.suggest("打印机又卡纸了", "");
        assert_eq!(s[0].value, "Printer");
        assert!(s[0].confidence > 0.5);
        let back = Triage::from_bytes(&t.to_bytes()).unwrap();
        assert_eq!(back.suggest("my vpn dropped", "")[0].value, "VPN");
        assert!(Triage::from_bytes(b"\x01\x00").is_none());
    }
}

//! Online log template mining.
//!
//! A line is masked into tokens (`tokens.rs`), then:
//! 1. the masked line is looked up as a whole (the steady state: one hash lookup);
//! 2. a new masked line joins the most similar **cluster** of lines with as many tokens and the
//!    same first token (share of equal positions ≥ `similarity`, as in Drain), or starts one;
//! 3. each cluster keeps, per position, the distinct values it has seen. A position is a
//!    variable when two of its values already hold a variable part (`broadcast_<*>` and
//!    `broadcast_<*>_piece<*>`), or when it has `distinct_values` different words — unless they are
//!    all upper-case enum-like words (`NEW`, `RUNNING`); other positions stay constant and tell
//!    templates apart (`user=root` and `user=guest` are two templates).
//!
//! A template is a cluster with the values of its constant positions. When a position turns
//! variable, templates of that cluster merge: `take_changes` reports it, so stored templates can
//! follow (`Change::Merged`, `Change::Renamed`).
//!
//! Accuracy on the Loghub-2k samples and the comparison with drain3: `docs/aiops.md`.

#[cfg(test)]
pub(crate) mod tests;
mod tokens;

use rustc_hash::FxHashMap;
pub use tokens::{Token, WILDCARD, mask};

/// The one configuration (the same for every system's logs).
#[derive(Debug, Clone, Copy)]
pub struct MinerConfig {
    /// Share of equal positions for a line to join a cluster.
    pub similarity: f64,
    /// Distinct words at a position that make it a variable.
    pub distinct_values: usize,
}

impl Default for MinerConfig {
    fn default() -> Self {
        Self { similarity: 0.6, distinct_values: 4 }
    }
}

/// A template's number, stable while the miner lives; merged ones resolve to the survivor.
pub type TemplateId = u32;

/// What parsing a line answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    pub template: TemplateId,
    /// The line started a template never seen before.
    pub new: bool,
}

/// A template that changed since the last `take_changes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `from` is now part of `into`.
    Merged { from: TemplateId, into: TemplateId },
    /// The template's text changed (a position became a variable).
    Renamed { template: TemplateId, text: String },
}

/// Distinct values remembered per position; past this the position is a variable anyway.
const VALUES_CAP: usize = 16;

struct Cluster {
    /// Tokens shared by all its lines so far (`None` where they differed).
    shape: Vec<Option<Box<str>>>,
    values: Vec<Vec<Box<str>>>,
    variable: Vec<bool>,
    /// Masked lines (leaves) of this cluster.
    leaves: Vec<u32>,
}

struct Leaf {
    cluster: u32,
    masked: Box<str>,
    /// Token ranges in `masked`.
    tokens: Vec<(u32, u32)>,
    template: TemplateId,
}

/// The miner: feed it lines, it answers templates.
pub struct Miner {
    config: MinerConfig,
    clusters: Vec<Cluster>,
    /// Clusters by (token count, first token).
    buckets: FxHashMap<(usize, Box<str>), Vec<u32>>,
    leaves: Vec<Leaf>,
    by_masked: FxHashMap<Box<str>, u32>,
    /// Template text → id, and each id's text and survivor.
    by_text: FxHashMap<(u32, Box<str>), TemplateId>,
    texts: Vec<String>,
    merged_into: Vec<TemplateId>,
    changes: Vec<Change>,
    // Scratch buffers reused across lines.
    masked: String,
    tokens: Vec<Token>,
}

impl Default for Miner {
    fn default() -> Self {
        Self::new(MinerConfig::default())
    }
}

impl Miner {
    pub fn new(config: MinerConfig) -> Self {
        Self {
            config,
            clusters: Vec::new(),
            buckets: FxHashMap::default(),
            leaves: Vec::new(),
            by_masked: FxHashMap::default(),
            by_text: FxHashMap::default(),
            texts: Vec::new(),
            merged_into: Vec::new(),
            changes: Vec::new(),
            masked: String::new(),
            tokens: Vec::new(),
        }
    }

    /// Parses one line (learning from it) and answers its template.
    pub fn parse(&mut self, line: &str) -> Parsed {
        mask(line, &mut self.masked, &mut self.tokens);
        if let Some(&leaf) = self.by_masked.get(self.masked.as_str()) {
            return Parsed { template: self.resolve(self.leaves[leaf as usize].template), new: false };
        }
        self.learn()
    }

    /// Learns a template's text as stored earlier (after a restart): a `<*>` token is a variable
    /// from the start, so the template comes back with the same text. Answers its id.
    pub fn seed(&mut self, text: &str) -> TemplateId {
        let parsed = self.parse(text);
        let Some(&leaf) = self.by_masked.get(self.masked.as_str()) else { return parsed.template };
        let l = &self.leaves[leaf as usize];
        let cluster = l.cluster;
        let wild: Vec<usize> = l
            .tokens
            .iter()
            .enumerate()
            .filter(|(_, (a, b))| &l.masked[*a as usize..*b as usize] == WILDCARD)
            .map(|(i, _)| i)
            .collect();
        let c = &mut self.clusters[cluster as usize];
        let mut turned = false;
        for i in wild {
            turned |= !c.variable[i];
            c.variable[i] = true;
        }
        if turned {
            self.rekey(cluster);
        }
        self.resolve(parsed.template)
    }

    /// Matches a line against what is known, without learning; `None` for an unseen shape.
    pub fn lookup(&mut self, line: &str) -> Option<TemplateId> {
        mask(line, &mut self.masked, &mut self.tokens);
        let leaf = *self.by_masked.get(self.masked.as_str())?;
        Some(self.resolve(self.leaves[leaf as usize].template))
    }

    /// The surviving template of `id` (itself unless merged).
    pub fn resolve(&self, mut id: TemplateId) -> TemplateId {
        while let Some(&into) = self.merged_into.get(id as usize) {
            if into == id {
                break;
            }
            id = into;
        }
        id
    }

    /// The template's text, with `<*>` for variables.
    pub fn text(&self, id: TemplateId) -> &str {
        &self.texts[self.resolve(id) as usize]
    }

    /// Templates alive now, with their texts.
    pub fn templates(&self) -> impl Iterator<Item = (TemplateId, &str)> {
        self.texts
            .iter()
            .enumerate()
            .filter(|(i, _)| self.merged_into[*i] == *i as u32)
            .map(|(i, t)| (i as u32, t.as_str()))
    }

    /// The variables of `line` under its template: the original tokens where the template has
    /// a variable part.
    pub fn variables<'l>(&mut self, line: &'l str) -> Vec<&'l str> {
        mask(line, &mut self.masked, &mut self.tokens);
        let Some(&leaf) = self.by_masked.get(self.masked.as_str()) else { return Vec::new() };
        let cluster = &self.clusters[self.leaves[leaf as usize].cluster as usize];
        self.tokens
            .iter()
            .enumerate()
            .filter(|(i, t)| {
                cluster.variable[*i]
                    || self.masked[t.masked.0 as usize..t.masked.1 as usize].contains(WILDCARD)
            })
            .map(|(_, t)| &line[t.original.0 as usize..t.original.1 as usize])
            .collect()
    }

    /// Merges and renames since the last call.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    fn learn(&mut self) -> Parsed {
        let tokens: Vec<(u32, u32)> = self.tokens.iter().map(|t| t.masked).collect();
        let words: Vec<&str> = tokens.iter().map(|&(a, b)| &self.masked[a as usize..b as usize]).collect();
        let key = (words.len(), Box::<str>::from(words.first().copied().unwrap_or("")));
        let cluster = match self.best_cluster(&key, &words) {
            Some(c) => c,
            None => {
                let id = self.clusters.len() as u32;
                self.clusters.push(Cluster {
                    shape: words.iter().map(|w| Some(Box::from(*w))).collect(),
                    values: vec![Vec::new(); words.len()],
                    variable: vec![false; words.len()],
                    leaves: Vec::new(),
                });
                self.buckets.entry(key).or_default().push(id);
                id
            }
        };
        let c = &mut self.clusters[cluster as usize];
        let mut turned = false;
        for (i, word) in words.iter().enumerate() {
            if c.shape[i].as_deref() != Some(*word) {
                c.shape[i] = None;
            }
            let values = &mut c.values[i];
            if values.len() < VALUES_CAP && !values.iter().any(|v| &**v == *word) {
                values.push(Box::from(*word));
            }
            // Once a variable, always one (seeded positions included).
            let variable = c.variable[i] || is_variable(values, self.config.distinct_values);
            turned |= variable != c.variable[i];
            c.variable[i] = variable;
        }
        let masked: Box<str> = self.masked.as_str().into();
        let leaf = self.leaves.len() as u32;
        c.leaves.push(leaf);
        self.leaves.push(Leaf { cluster, masked: masked.clone(), tokens, template: u32::MAX });
        self.by_masked.insert(masked, leaf);
        let before = self.texts.len();
        if turned {
            self.rekey(cluster);
        } else {
            self.assign(leaf);
        }
        let template = self.resolve(self.leaves[leaf as usize].template);
        Parsed { template, new: template as usize >= before }
    }

    fn best_cluster(&self, key: &(usize, Box<str>), words: &[&str]) -> Option<u32> {
        let n = words.len().max(1) as f64;
        let mut best = None;
        let mut best_score = -1.0;
        for &id in self.buckets.get(key)? {
            let c = &self.clusters[id as usize];
            let equal = c.shape.iter().zip(words).filter(|(s, w)| s.as_deref() == Some(**w)).count();
            let score = equal as f64 / n;
            if score >= self.config.similarity && score > best_score {
                best = Some(id);
                best_score = score;
            }
        }
        best
    }

    /// The template text of a leaf under its cluster's variable positions.
    fn leaf_text(&self, leaf: u32) -> String {
        let l = &self.leaves[leaf as usize];
        let c = &self.clusters[l.cluster as usize];
        let mut text = String::with_capacity(l.masked.len());
        for (i, &(a, b)) in l.tokens.iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(if c.variable[i] { WILDCARD } else { &l.masked[a as usize..b as usize] });
        }
        text
    }

    fn assign(&mut self, leaf: u32) {
        let text = self.leaf_text(leaf);
        let cluster = self.leaves[leaf as usize].cluster;
        let id = match self.by_text.get(&(cluster, text.as_str().into())) {
            Some(&id) => id,
            None => {
                let id = self.texts.len() as TemplateId;
                self.by_text.insert((cluster, text.as_str().into()), id);
                self.texts.push(text);
                self.merged_into.push(id);
                id
            }
        };
        self.leaves[leaf as usize].template = id;
    }

    /// A position of `cluster` turned variable: its leaves' templates merge by their new text.
    fn rekey(&mut self, cluster: u32) {
        let leaves = self.clusters[cluster as usize].leaves.clone();
        for leaf in leaves {
            let old = self.leaves[leaf as usize].template;
            if old == u32::MAX {
                self.assign(leaf);
                continue;
            }
            let old = self.resolve(old);
            let text = self.leaf_text(leaf);
            match self.by_text.get(&(cluster, text.as_str().into())) {
                Some(&into) if self.resolve(into) != old => {
                    let into = self.resolve(into);
                    self.merged_into[old as usize] = into;
                    self.changes.push(Change::Merged { from: old, into });
                }
                Some(_) => {}
                None => {
                    if self.texts[old as usize] != text {
                        self.texts[old as usize] = text.clone();
                        self.changes.push(Change::Renamed { template: old, text: text.clone() });
                    }
                    self.by_text.insert((cluster, text.into()), old);
                }
            }
        }
    }
}

/// Whether a position with these distinct values is a variable.
fn is_variable(values: &[Box<str>], distinct: usize) -> bool {
    if values.len() < 2 {
        return false;
    }
    if values.len() >= VALUES_CAP || values.iter().filter(|v| v.contains(WILDCARD)).count() >= 2 {
        return true;
    }
    if values.iter().all(|v| is_enum_word(v)) {
        return false;
    }
    values.len() >= distinct
}

/// `RUNNING`, `NEW,`: upper-case words, states rather than data.
fn is_enum_word(v: &str) -> bool {
    let core = v.strip_suffix([',', '.', ';', ':']).unwrap_or(v);
    !core.is_empty() && core.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
}

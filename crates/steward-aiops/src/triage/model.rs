//! A multinomial logistic regression over sparse features, trained by stochastic gradient
//! descent with L2 shrinkage: small, fast to train on a desk's history, and its softmax gives a
//! confidence to act on. Hand-rolled: the linear-model crates bring dense matrices (ndarray,
//! BLAS) for what is a few thousand sparse rows.

use rustc_hash::FxHashMap;

use super::features::Features;

#[derive(Debug, Clone)]
pub struct Classifier {
    pub classes: Vec<String>,
    weights: FxHashMap<u32, Vec<f32>>,
    bias: Vec<f32>,
}

impl Classifier {
    /// Trains on `(features, class index)` pairs over `classes`.
    pub fn train(classes: Vec<String>, examples: &[(&Features, usize)], epochs: usize) -> Classifier {
        let k = classes.len();
        let mut model = Classifier { classes, weights: FxHashMap::default(), bias: vec![0.0; k] };
        // Chosen once on the corpus' training part (the held-out part never tuned anything);
        // results barely move between 0.8 and 5 for the rate.
        let (lambda, lr0, decay) = (1e-5f32, 2.0f32, 0.3f32);
        // A fixed order shuffle (by a multiplicative hash), so training is reproducible.
        let mut order: Vec<usize> = (0..examples.len()).collect();
        for epoch in 0..epochs {
            order.sort_by_key(|i| (*i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15 ^ epoch as u64) >> 7);
            let rate = lr0 / (1.0 + epoch as f32 * decay);
            for &i in &order {
                let (x, y) = examples[i];
                let p = model.probabilities(x);
                for (c, pc) in p.iter().enumerate() {
                    let g = pc - if c == y { 1.0 } else { 0.0 };
                    if g.abs() < 1e-6 {
                        continue;
                    }
                    model.bias[c] -= rate * g * 0.1;
                    for (f, v) in x {
                        let w = model.weights.entry(*f).or_insert_with(|| vec![0.0; k]);
                        w[c] -= rate * (g * v + lambda * w[c]);
                    }
                }
            }
        }
        model
    }

    /// Each class's probability, in `classes` order.
    pub fn probabilities(&self, x: &Features) -> Vec<f32> {
        let mut scores = self.bias.clone();
        for (f, v) in x {
            if let Some(w) = self.weights.get(f) {
                for (s, wc) in scores.iter_mut().zip(w) {
                    *s += wc * v;
                }
            }
        }
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for s in &mut scores {
            *s = (*s - max).exp();
            sum += *s;
        }
        scores.iter_mut().for_each(|s| *s /= sum.max(f32::MIN_POSITIVE));
        scores
    }

    /// The most likely class and its probability.
    pub fn predict(&self, x: &Features) -> (usize, f32) {
        let p = self.probabilities(x);
        p.iter().enumerate().fold((0, 0.0), |best, (i, v)| if *v > best.1 { (i, *v) } else { best })
    }

    /// A compact binary form (the classes, then each feature's weights as little-endian f32).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let names = self.classes.join("\u{1f}");
        out.extend((names.len() as u32).to_le_bytes());
        out.extend(names.as_bytes());
        out.extend((self.weights.len() as u32).to_le_bytes());
        for v in &self.bias {
            out.extend(v.to_le_bytes());
        }
        let mut features: Vec<_> = self.weights.iter().collect();
        features.sort_unstable_by_key(|(f, _)| **f);
        for (f, w) in features {
            out.extend(f.to_le_bytes());
            for v in w {
                out.extend(v.to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Classifier> {
        let mut at = 0;
        let mut take = |n: usize| -> Option<&[u8]> {
            let s = bytes.get(at..at + n)?;
            at += n;
            Some(s)
        };
        let u32_of = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap_or([0; 4]));
        let len = u32_of(take(4)?) as usize;
        let names = std::str::from_utf8(take(len)?).ok()?;
        let classes: Vec<String> = names.split('\u{1f}').map(str::to_owned).collect();
        let k = classes.len();
        let n = u32_of(take(4)?) as usize;
        let f32s = |b: &[u8]| -> Vec<f32> {
            b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        };
        let bias = f32s(take(4 * k)?);
        let mut weights = FxHashMap::default();
        for _ in 0..n {
            let f = u32_of(take(4)?);
            weights.insert(f, f32s(take(4 * k)?));
        }
        Some(Classifier { classes, weights, bias })
    }
}

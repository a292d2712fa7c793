//! Our own token sampler, run as a mistralrs logits processor.
//!
//! mistralrs seeds one RNG for the whole engine, so a reply cannot be repeated
//! from a seed. Here each reply gets its own seeded generator: the processor
//! picks the token and leaves only it finite, and mistralrs's greedy argmax then
//! takes it. Counting calls also gives exact token counts and timings.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use mistralrs::{Device, Tensor};

/// Per-reply timings, written by the sampler on the engine thread.
#[derive(Debug, Default, Clone)]
pub struct TokenClock {
    pub first: Option<Instant>,
    pub last: Option<Instant>,
    pub tokens: usize,
    /// Every id chosen, in order: the reply's text is decoded from these by our
    /// own tokenizer (mistralrs trims the first delta's leading whitespace).
    pub ids: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct SamplerConfig {
    pub temperature: f32,
    pub top_k: usize,
    pub top_p: f32,
    pub seed: u64,
    /// Token ids that must never be chosen (end-of-sequence for benchmarks).
    pub banned: Vec<u32>,
    /// Ids that end the reply, given to mistralrs as this end-of-sequence id.
    /// mistralrs refuses a stop id whose text begins a longer piece (Code
    /// Llama's `▁<EOT>` begins `▁<EOT><EOT>`), so the sampler stops it instead.
    pub stop_as: Option<(Vec<u32>, u32)>,
    /// The only id this request may produce: a prefill-only request ends on a
    /// token no real prompt continues with (see `warm`).
    pub forced: Option<u32>,
}

pub struct Sampler {
    config: SamplerConfig,
    rng: Mutex<SplitMix64>,
    pub clock: Arc<Mutex<TokenClock>>,
    /// Every token the engine has sampled, all requests together: shows from
    /// outside that a dropped stream stopped generating.
    total: Option<Arc<std::sync::atomic::AtomicU64>>,
}

impl Sampler {
    pub fn new(config: SamplerConfig) -> Self {
        let rng = Mutex::new(SplitMix64(config.seed));
        Self { config, rng, clock: Arc::new(Mutex::new(TokenClock::default())), total: None }
    }

    pub fn counting(mut self, total: Arc<std::sync::atomic::AtomicU64>) -> Self {
        self.total = Some(total);
        self
    }

    /// Choose the next token from raw (penalised) logits.
    pub fn choose(&self, logits: &mut [f32]) -> usize {
        for &b in &self.config.banned {
            if let Some(l) = logits.get_mut(b as usize) {
                *l = f32::NEG_INFINITY;
            }
        }
        if self.config.temperature <= 0.0 {
            return argmax(logits);
        }
        let mut order: Vec<usize> = (0..logits.len()).filter(|&i| logits[i].is_finite()).collect();
        if order.is_empty() {
            return argmax(logits);
        }
        order.sort_unstable_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
        if self.config.top_k > 0 {
            order.truncate(self.config.top_k);
        }
        let max = logits[order[0]];
        let mut probs: Vec<f32> = order.iter().map(|&i| ((logits[i] - max) / self.config.temperature).exp()).collect();
        let total: f32 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= total);
        if self.config.top_p > 0.0 && self.config.top_p < 1.0 {
            let mut cumulative = 0.0;
            let keep = probs
                .iter()
                .position(|p| {
                    cumulative += p;
                    cumulative >= self.config.top_p
                })
                .map_or(probs.len(), |i| i + 1);
            probs.truncate(keep);
            order.truncate(keep);
        }
        let total: f32 = probs.iter().sum();
        let mut target = self.next_unit() * total;
        for (p, &i) in probs.iter().zip(&order) {
            target -= p;
            if target <= 0.0 {
                return i;
            }
        }
        order[order.len() - 1]
    }

    /// [`choose`](Self::choose), with a stop id turned into end-of-sequence.
    pub fn pick(&self, logits: &mut [f32]) -> usize {
        if let Some(f) = self.config.forced.filter(|&f| (f as usize) < logits.len()) {
            return f as usize;
        }
        let chosen = self.choose(logits);
        match &self.config.stop_as {
            Some((stops, eos)) if stops.contains(&(chosen as u32)) && (*eos as usize) < logits.len() => *eos as usize,
            _ => chosen,
        }
    }

    fn next_unit(&self) -> f32 {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        (rng.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    fn tick(&self, chosen: u32) {
        let now = Instant::now();
        let mut c = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        c.first.get_or_insert(now);
        c.last = Some(now);
        c.tokens += 1;
        c.ids.push(chosen);
        if let Some(total) = &self.total {
            total.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl mistralrs::CustomLogitsProcessor for Sampler {
    fn apply(&self, logits: &Tensor, _context: &[u32]) -> mistralrs::Result<Tensor> {
        let shape = logits.shape().clone();
        let mut values: Vec<f32> = logits.flatten_all()?.to_dtype(mistralrs::DType::F32)?.to_vec1()?;
        let chosen = self.pick(&mut values);
        self.tick(chosen as u32);
        values.iter_mut().for_each(|v| *v = f32::NEG_INFINITY);
        values[chosen] = 0.0;
        Tensor::from_vec(values, shape, &Device::Cpu)?.to_device(logits.device())?.to_dtype(logits.dtype())
    }
}

fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// Small, fast and good enough for sampling; no dependency needed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler(temperature: f32, seed: u64, banned: Vec<u32>) -> Sampler {
        Sampler::new(SamplerConfig { temperature, top_k: 0, top_p: 1.0, seed, banned, stop_as: None, forced: None })
    }

    #[test]
    fn greedy_takes_the_largest_and_respects_bans() {
        let logits = [0.1, 3.0, 2.0, -1.0];
        assert_eq!(sampler(0.0, 1, vec![]).choose(&mut logits.clone()), 1);
        assert_eq!(sampler(0.0, 1, vec![1]).choose(&mut logits.clone()), 2);
    }

    #[test]
    fn same_seed_same_choices_and_other_seeds_differ() {
        let run = |seed| {
            let s = sampler(1.0, seed, vec![]);
            (0..64).map(|_| s.choose(&mut [1.0, 1.0, 1.0, 1.0, 1.0])).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn top_k_one_is_greedy_even_when_hot() {
        let s = Sampler::new(SamplerConfig { temperature: 5.0, top_k: 1, top_p: 1.0, seed: 3, banned: vec![], stop_as: None, forced: None });
        for _ in 0..20 {
            assert_eq!(s.choose(&mut [0.0, 0.5, 0.4]), 1);
        }
    }

    #[test]
    fn top_p_cuts_the_tail() {
        let s = Sampler::new(SamplerConfig { temperature: 1.0, top_k: 0, top_p: 0.5, seed: 9, banned: vec![], stop_as: None, forced: None });
        // Token 0 alone holds more than half the mass, so it is always chosen.
        for _ in 0..50 {
            assert_eq!(s.choose(&mut [5.0, 0.0, 0.0, 0.0]), 0);
        }
    }

    #[test]
    fn code_llama_eot_ends_the_reply_as_end_of_sequence() {
        let s = Sampler::new(SamplerConfig { temperature: 0.0, top_k: 0, top_p: 1.0, seed: 1, banned: vec![], stop_as: Some((vec![3], 2)), forced: None });
        assert_eq!(s.pick(&mut [0.0, 0.1, 0.2, 9.0]), 2, "EOT (3) chosen: the reply ends with EOS (2)");
        assert_eq!(s.pick(&mut [0.0, 9.0, 0.2, 0.3]), 1);
    }

    #[test]
    fn a_forced_id_wins_over_the_logits() {
        let s = Sampler::new(SamplerConfig { temperature: 0.0, top_k: 0, top_p: 1.0, seed: 1, banned: vec![], stop_as: None, forced: Some(0) });
        assert_eq!(s.pick(&mut [0.0, 9.0, 0.2]), 0);
    }
}

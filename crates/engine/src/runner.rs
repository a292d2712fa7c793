//! The mistralrs engine behind [`Engine`](crate::Engine), with its prefix
//! cache kept within a budget.
//!
//! mistralrs 0.8.1 never evicts its prefix cache on CPU (`evict_caches` counts
//! only entries on a GPU), so every finished request keeps a KV cache the size
//! of its sequence rounded up to 512 tokens: 40 short chats took the demo
//! model from 441 MB to 1.32 GB of RSS, and on a 7B in f32 each entry is about
//! 1 MiB a token. There is no call to clear it, so the bound is ours: an
//! estimate of what the cache holds, and past the budget a fresh mistralrs
//! engine on the same loaded weights (its cache starts empty; the old engine's
//! thread ends and frees its own), made only while nothing is in flight.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use mistralrs::core::{DefaultSchedulerMethod, MistralRs, MistralRsBuilder, Pipeline, SchedulerConfig};

/// mistralrs grows a sequence's KV cache in blocks of this many tokens.
const KV_BLOCK: u64 = 512;

pub(crate) struct Runner {
    current: RwLock<Arc<MistralRs>>,
    pipeline: Arc<tokio::sync::Mutex<dyn Pipeline>>,
    prefix_cache_n: usize,
    /// Bytes of KV cache one token costs (0 = unknown: never recycle).
    per_token: u64,
    budget: u64,
    held: AtomicU64,
    in_flight: Arc<AtomicUsize>,
    recycled: AtomicUsize,
    /// One request generates at a time, in arrival order (tokio's semaphore is
    /// fair): the window, the local API and a prefill share one model, and a
    /// reply never waits behind a batch it did not ask for.
    lane: Arc<tokio::sync::Semaphore>,
    /// Tokens sampled by every request together.
    pub sampled: Arc<AtomicU64>,
}

/// Held by a request from its start to the end of its stream.
pub(crate) struct InFlight {
    count: Arc<AtomicUsize>,
    lane: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl InFlight {
    /// The stream ended: the next request may start (before this one is dropped).
    pub fn leave_lane(&mut self) {
        self.lane = None;
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn build(pipeline: Arc<tokio::sync::Mutex<dyn Pipeline>>, prefix_cache_n: usize) -> Arc<MistralRs> {
    let method = DefaultSchedulerMethod::Fixed(std::num::NonZeroUsize::MIN.saturating_add(3));
    MistralRsBuilder::new(pipeline, SchedulerConfig::DefaultScheduler { method }, false, None)
        .with_prefix_cache_n(prefix_cache_n)
        .build()
        .await
}

impl Runner {
    pub async fn new(pipeline: Arc<tokio::sync::Mutex<dyn Pipeline>>, prefix_cache_n: usize, per_token: u64, budget: u64) -> Self {
        let runner = build(pipeline.clone(), prefix_cache_n).await;
        Self {
            current: RwLock::new(runner),
            pipeline,
            prefix_cache_n,
            per_token,
            budget,
            held: AtomicU64::new(0),
            in_flight: Arc::new(AtomicUsize::new(0)),
            recycled: AtomicUsize::new(0),
            lane: Arc::new(tokio::sync::Semaphore::new(1)),
            sampled: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn get(&self) -> Arc<MistralRs> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How often the cache was dropped to stay within the budget.
    pub fn recycled(&self) -> usize {
        self.recycled.load(Ordering::SeqCst)
    }

    /// Requests started and not yet ended (queued ones not counted).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn held_bytes(&self) -> u64 {
        self.held.load(Ordering::SeqCst)
    }

    /// Admit a request of up to `tokens` tokens. Past the budget the cache is
    /// dropped first, unless the request would reuse it (`reuses`, e.g. the
    /// next turn of a chat or the send after a prefill) and the cache is still
    /// under twice the budget. Returns whether it was dropped.
    pub async fn admit(&self, tokens: usize, reuses: bool) -> (InFlight, bool) {
        // The semaphore is never closed, so acquiring only fails in theory.
        let lane = self.lane.clone().acquire_owned().await.ok();
        let entry = (tokens as u64).div_ceil(KV_BLOCK) * KV_BLOCK * self.per_token;
        let held = self.held.load(Ordering::SeqCst);
        let over = self.per_token > 0 && held + entry > self.budget;
        let must = held + entry > self.budget.saturating_mul(2);
        let mut dropped = false;
        if over && (!reuses || must) && self.in_flight.load(Ordering::SeqCst) == 0 {
            dropped = self.recycle().await;
        }
        self.held.fetch_add(entry, Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        (InFlight { count: self.in_flight.clone(), lane }, dropped)
    }

    /// A new mistralrs engine on the same weights. mistralrs's constructor
    /// panics if the pipeline is busy; run apart, a panic only means "not now".
    async fn recycle(&self) -> bool {
        let fresh = tokio::spawn(build(self.pipeline.clone(), self.prefix_cache_n));
        match fresh.await {
            Ok(runner) => {
                // The old engine's thread gets Terminate when its last handle drops.
                let old = std::mem::replace(&mut *self.current.write().unwrap_or_else(|p| p.into_inner()), runner);
                drop(old);
                self.held.store(0, Ordering::SeqCst);
                self.recycled.fetch_add(1, Ordering::SeqCst);
                true
            }
            Err(_) => false,
        }
    }
}

//! Loading a GGUF into mistralrs, fully offline, and sending it requests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use desk_protocol::{Conversation, LoadProgress, LoadStage, ModelFacts, OverflowPolicy, PromptFormat, SamplingParams};
use desk_tokenizer::Tokenizer;
use mistralrs::core::{
    AdapterPaths, AutoDeviceMapParams, DeviceMapSetting, GGUFLoaderBuilder, GGUFSpecificConfig, LocalModelPaths, ModelPaths, Request,
};
use mistralrs::ModelDType;

use crate::budget::Fitted;
use crate::prompter::Prompter;
use crate::error::EngineError;
use crate::runner::Runner;
use crate::{context, gguf, memory, vocab};

/// Activation dtype. `Auto` is f32 on CPU and mistralrs's choice on a GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activations {
    #[default]
    Auto,
    F32,
    F16,
    Bf16,
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Context window in tokens; `None` = the model's own, capped at what mistralrs allocates.
    pub context_len: Option<usize>,
    pub activations: Activations,
    /// Refuse to load what will not fit in available memory.
    pub check_memory: bool,
    pub force_cpu: bool,
    /// Conversations kept in mistralrs's prefix cache, so follow-up turns skip the shared prefix.
    pub prefix_cache_n: usize,
    /// Most bytes of KV cache the prefix cache may hold (see `runner`);
    /// `None` = 1 GiB plus 4,096 tokens' worth.
    pub prefix_cache_bytes: Option<u64>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            context_len: None,
            activations: Activations::Auto,
            check_memory: true,
            force_cpu: false,
            prefix_cache_n: 16,
            prefix_cache_bytes: None,
        }
    }
}

/// A loaded model, ready to answer. Cheap to share behind an `Arc`.
pub struct Engine {
    pub(crate) runner: Runner,
    /// Ours, not mistralrs's: every text -> ids path goes through it (see `vocab`).
    pub(crate) prompter: Prompter,
    pub(crate) context_limit: usize,
    pub(crate) eos: Vec<u32>,
    /// Prompts sent lately, to tell how much of a new one is already computed.
    pub(crate) recent: std::sync::Mutex<crate::warm::Recent>,
    /// The ids of the last request sent (not a prefill): what the model saw.
    pub(crate) last_prompt: std::sync::Mutex<Vec<u32>>,
    /// What a prefill-only request ends on; `None` turns prefill off.
    pub(crate) sentinel: Option<u32>,
    /// The activation dtype in use, as mistralrs names it (`f32`, `bf16`, ...).
    pub(crate) activations: &'static str,
    pub load_ms: u64,
}

impl Engine {
    /// Load the GGUF at `path`. The header is validated by our own bounded
    /// reader first, so broken files never reach mistralrs's parser.
    pub async fn load(
        path: &Path,
        options: LoadOptions,
        mut progress: impl FnMut(LoadProgress) + Send,
    ) -> Result<Engine, EngineError> {
        let t0 = Instant::now();
        let mut report = |stage| progress(LoadProgress { stage, elapsed_ms: t0.elapsed().as_millis() as u64 });
        report(LoadStage::ReadingHeader);
        let header = gguf::read_header_keeping(path, vocab::ARRAYS)?;
        // An architecture we cannot run is named before its vocabulary is looked at.
        gguf::check_supported(&gguf::facts_from_header(path, &header)?)?;
        let prompter = Prompter::from_header(path, &header)?;
        let facts = prompter.facts.clone();
        let reserved = [prompter.bos_id, prompter.eos_id];
        let sentinel = vocab::prefill_sentinel(prompter.tokenizer(), header.get_str("tokenizer.chat_template"), &reserved);
        let model_ctx = facts.context_length.unwrap_or(4096) as usize;
        let wanted_ctx = options.context_len.unwrap_or(model_ctx).max(16);
        context::check(&facts, wanted_ctx)?;
        let overlay = context::overlay(&facts, wanted_ctx, &crate::discover::data_dir().join("cache"))?;
        if options.check_memory {
            memory::check_fits(&facts, wanted_ctx)?;
        }

        report(LoadStage::LoadingWeights);
        let shown = path.display().to_string();
        let load_err = |reason: String| EngineError::Load { path: shown.clone(), reason };
        let owned = path.to_path_buf();
        let prefix_cache_n = options.prefix_cache_n;
        let cache_budget = options.prefix_cache_bytes;
        // A panic inside mistralrs surfaces as a JoinError here, not as a dead app.
        let (pipeline, max_seq_len, eos, activations) = tokio::task::spawn_blocking(move || load_pipeline(&owned, overlay.as_deref(), &options))
            .await
            .map_err(|e| load_err(format!("the loader crashed: {e}")))?
            .map_err(load_err)?;

        report(LoadStage::StartingEngine);
        let per_token = kv_bytes_per_token(&facts, activations);
        let budget = cache_budget.unwrap_or((1 << 30) + 4096 * per_token);
        let runner = Runner::new(pipeline, prefix_cache_n, per_token, budget).await;
        let load_ms = t0.elapsed().as_millis() as u64;
        report(LoadStage::Ready);
        Ok(Engine {
            runner,
            prompter,
            context_limit: wanted_ctx.min(max_seq_len),
            eos,
            recent: Default::default(),
            last_prompt: Default::default(),
            sentinel,
            activations,
            load_ms,
        })
    }

    pub fn facts(&self) -> &ModelFacts {
        &self.prompter.facts
    }
    pub fn format(&self) -> PromptFormat {
        self.prompter.format
    }
    pub fn context_limit(&self) -> usize {
        self.context_limit
    }
    /// Estimated bytes mistralrs's prefix cache holds, and how often it was
    /// dropped to stay within its budget.
    pub fn prefix_cache(&self) -> (u64, usize) {
        (self.runner.held_bytes(), self.runner.recycled())
    }
    /// The activation dtype in use (`f32` on CPU unless asked otherwise).
    pub fn activations(&self) -> &'static str {
        self.activations
    }

    /// The exact ids of the last prompt sent to mistralrs (prefills aside):
    /// lets a caller check what a request through some other layer became.
    pub fn last_prompt(&self) -> Vec<u32> {
        self.last_prompt.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Plain-text tokens, special-token strings encoded as text.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, EngineError> {
        Ok(self.prompter.encode(text))
    }

    pub fn tokenizer(&self) -> &Arc<Tokenizer> {
        self.prompter.tokenizer()
    }

    pub fn prompter(&self) -> &Prompter {
        &self.prompter
    }

    /// The exact token ids the model will see for `conv`, before any overflow policy.
    pub async fn prompt_tokens(&self, conv: &Conversation) -> Result<Vec<u32>, EngineError> {
        self.prompter.prompt_tokens(conv)
    }

    /// Build the prompt and apply the overflow policy, leaving room for the reply.
    pub async fn fit_prompt(
        &self,
        conv: &Conversation,
        params: &SamplingParams,
        policy: OverflowPolicy,
    ) -> Result<Fitted, EngineError> {
        self.prompter.fit_prompt(conv, params, policy, self.context_limit)
    }

    pub(crate) async fn send(&self, request: Request) -> Result<(), EngineError> {
        let sender = self.runner.get().get_sender(None).map_err(|e| EngineError::Generation(e.to_string()))?;
        sender.send(request).await.map_err(|_| EngineError::Generation("the engine stopped".into()))
    }
}

/// What one token's keys and values take in the KV cache (0 when the header does not say).
fn kv_bytes_per_token(facts: &ModelFacts, activations: &str) -> u64 {
    let (Some(layers), Some(dim), Some(heads)) = (facts.block_count, facts.embedding_length, facts.head_count) else {
        return 0;
    };
    let kv_heads = facts.head_count_kv.unwrap_or(heads);
    let bytes = if activations == "f32" { 4 } else { 2 };
    layers * 2 * kv_heads * (dim / heads.max(1)) * bytes
}

type Loaded = (Arc<tokio::sync::Mutex<dyn mistralrs::core::Pipeline>>, usize, Vec<u32>, &'static str);

/// Runs on a blocking thread: mistralrs reads and dequantizes weights synchronously.
fn load_pipeline(path: &Path, overlay: Option<&Path>, options: &LoadOptions) -> Result<Loaded, String> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let loader = GGUFLoaderBuilder::new(None, None, dir.display().to_string(), vec![file], GGUFSpecificConfig::default(), false, None)
        .build();
    // The overlay comes last: its context length wins when mistralrs merges metadata.
    let mut filenames = vec![path.to_path_buf()];
    filenames.extend(overlay.map(Path::to_path_buf));
    // Empty tokenizer/config paths make mistralrs take both from the GGUF itself;
    // no path here names anything remote, so nothing is fetched.
    let paths: Box<dyn ModelPaths> = Box::new(LocalModelPaths {
        tokenizer_filename: PathBuf::new(),
        config_filename: PathBuf::new(),
        template_filename: None,
        filenames,
        adapter_paths: AdapterPaths::None,
        gen_conf: None,
        preprocessor_config: None,
        processor_config: None,
        chat_template_json_filename: None,
    });
    let device = mistralrs::best_device(options.force_cpu).map_err(|e| e.to_string())?;
    // mistralrs's Auto picks bf16 on CPU; f32 is what llama.cpp computes in
    // there, and it measured faster (bench/README.md) and agrees with llama.cpp.
    let (dtype, activations) = match options.activations {
        Activations::Auto if device.is_cpu() => (ModelDType::F32, "f32"),
        Activations::Auto => (ModelDType::Auto, "auto"),
        Activations::F32 => (ModelDType::F32, "f32"),
        Activations::F16 => (ModelDType::F16, "f16"),
        Activations::Bf16 => (ModelDType::BF16, "bf16"),
    };
    let mut params = AutoDeviceMapParams::default_text();
    if let (AutoDeviceMapParams::Text { max_seq_len, .. }, Some(ctx)) = (&mut params, options.context_len) {
        *max_seq_len = ctx;
    }
    let pipeline = loader.load_model_from_path(&paths, &dtype, &device, true, DeviceMapSetting::Auto(params), None, None)
        .map_err(|e| format!("{e:#}"))?;
    let (max_seq_len, eos) = {
        let guard = pipeline.blocking_lock();
        let meta = guard.get_metadata();
        (meta.max_seq_len, meta.eos_tok.clone())
    };
    Ok((pipeline, max_seq_len, eos, activations))
}

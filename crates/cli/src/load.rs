use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use desk_engine::{discover, Backend, Engine, LoadOptions};
use desk_protocol::LoadStage;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::ModelArgs;

/// Load the chosen model with a spinner on stderr (hidden with --json or when stderr is not a terminal).
pub async fn load(args: &ModelArgs, options: LoadOptions) -> Result<Engine> {
    let path = discover::resolve_model(args.model.as_deref())?;
    let bar = if args.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    bar.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar.enable_steady_tick(Duration::from_millis(120));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let options = LoadOptions {
        context_len: args.ctx,
        check_memory: options.check_memory && !args.ignore_memory_check,
        activations: args.dtype.activations(),
        ..options
    };
    let progress_bar = bar.clone();
    let engine = Engine::load(&path, options, move |p| {
        let msg = match p.stage {
            LoadStage::ReadingHeader => format!("reading {name}"),
            LoadStage::LoadingWeights => format!("loading {name}"),
            LoadStage::StartingEngine => "starting the engine".to_string(),
            LoadStage::Ready => "ready".to_string(),
        };
        progress_bar.set_message(msg);
    })
    .await;
    bar.finish_and_clear();
    let engine = engine.map_err(|e| match e {
        desk_engine::EngineError::OutOfMemoryRisk { .. } => anyhow::anyhow!("{e}; pass --ignore-memory-check to load it anyway"),
        e => e.into(),
    })?;
    if !args.json {
        eprintln!(
            "loaded {} ({}, {:?} format, {} activations, context {}) in {:.1}s",
            engine.facts().file_name,
            engine.facts().file_type_name.as_deref().unwrap_or("?"),
            engine.format(),
            engine.activations(),
            engine.context_limit(),
            engine.load_ms as f64 / 1e3
        );
    }
    Ok(engine)
}

/// The model to talk to: a server's with `--remote`, else a local GGUF loaded here.
pub async fn open(args: &ModelArgs, options: LoadOptions) -> Result<Arc<dyn Backend>> {
    let Some(url) = &args.remote else {
        return Ok(Arc::new(load(args, options).await?));
    };
    if args.model.is_some() {
        anyhow::bail!("--model and --remote both name a model; give one (--remote-vocab names a GGUF for the server's vocabulary)");
    }
    let mut config = desk_remote::RemoteConfig::new(url.clone());
    config.key = std::env::var("DESK_REMOTE_KEY").ok().filter(|k| !k.trim().is_empty());
    config.model = args.remote_model.clone();
    config.vocab = args.remote_vocab.clone();
    config.ca = args.remote_ca.clone();
    config.stall = Duration::from_secs(args.remote_timeout.max(1));
    let remote = desk_remote::Remote::connect(config, &mut |m| eprintln!("[{m}]")).await?;
    if !args.json {
        if let Some(w) = &remote.warning {
            eprintln!("warning: {w}");
        }
        let how = match remote.remote().and_then(|r| r.note) {
            None => "prompts sent as this app's exact token ids".to_string(),
            Some(note) => format!("note: {note}"),
        };
        eprintln!("connected to {url}: model {} (context {}; {how})", remote.model(), remote.context_limit());
    }
    Ok(Arc::new(remote))
}

use std::time::Duration;

use anyhow::Result;
use desk_engine::{discover, Engine, LoadOptions};
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

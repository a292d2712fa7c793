//! `desk models`: the library of GGUF files, what each one is, whether it fits.

mod library;
mod pull;

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use desk_engine::{discover, gguf, memory};
use desk_protocol::{FitEstimate, ModelFacts};

#[derive(Args, Debug)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: Option<ModelsCommand>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Context length the fit estimate is made for (default: each model's own).
    #[arg(long, global = true)]
    pub ctx: Option<usize>,
}

#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// The GGUFs in ./models and the library folder (the default).
    List,
    /// Everything the header of one GGUF says, and whether it fits in memory.
    Inspect { path: PathBuf },
    /// The Code Llama files `pull` can download.
    Catalog,
    /// Download a Code Llama GGUF from the catalogue into the library (resumable, SHA-256 checked).
    Pull { name: String },
    /// Check a GGUF on disk and copy it (or, with --link, link it) into the library.
    Import {
        path: PathBuf,
        #[arg(long)]
        link: bool,
    },
    /// Delete a model (a file name in the library folder) and any partial download of it.
    Rm { name: String },
}

pub fn run(args: ModelsArgs) -> Result<()> {
    let json = args.json;
    match args.command.unwrap_or(ModelsCommand::List) {
        ModelsCommand::List => list(json, args.ctx),
        ModelsCommand::Inspect { path } => inspect(&path, json, args.ctx),
        ModelsCommand::Catalog => pull::catalog(json),
        ModelsCommand::Pull { name } => pull::pull(&name, json),
        ModelsCommand::Import { path, link } => library::import(&path, link, json),
        ModelsCommand::Rm { name } => library::remove(&name, json),
    }
}

fn fit_for(facts: &ModelFacts, ctx: Option<usize>) -> FitEstimate {
    memory::estimate(facts, ctx.unwrap_or_else(|| memory::default_context(facts)))
}

fn list(json: bool, ctx: Option<usize>) -> Result<()> {
    let dirs = discover::model_dirs();
    let models = discover::list_models(&dirs);
    if json {
        let items: Vec<_> = models
            .iter()
            .map(|(path, facts)| match facts {
                Ok(f) => serde_json::json!({ "path": path, "ok": true, "facts": f, "fit": fit_for(f, ctx) }),
                Err(e) => serde_json::json!({ "path": path, "ok": false, "error": e.to_string() }),
            })
            .collect();
        return crate::out::print_line(&serde_json::Value::Array(items).to_string());
    }
    if models.is_empty() {
        let shown: Vec<_> = dirs.iter().map(|d| d.display().to_string()).collect();
        return crate::out::print_line(&format!(
            "no GGUF files in {}\n  `desk models catalog` lists Code Llama files `desk models pull NAME` can fetch",
            shown.join(" or ")
        ));
    }
    for (path, facts) in models {
        let text = match facts {
            Ok(f) => format!("{}\n  {}\n  {}", path.display(), describe(&f), describe_fit(&fit_for(&f, ctx))),
            Err(e) => format!("{}\n  unusable: {e}", path.display()),
        };
        crate::out::print_line(&text)?;
    }
    Ok(())
}

fn inspect(path: &Path, json: bool, ctx: Option<usize>) -> Result<()> {
    // One line on stderr and a non-zero exit for anything unusable (main prints the error).
    let facts = gguf::inspect(path)?;
    let supported = gguf::check_supported(&facts);
    let fit = fit_for(&facts, ctx);
    if json {
        let v = serde_json::json!({
            "path": path, "facts": facts, "fit": fit,
            "supported": supported.is_ok(),
            "unsupported_reason": supported.as_ref().err().map(|e| e.to_string()),
        });
        crate::out::print_line(&v.to_string())?;
    } else {
        crate::out::print_line(&format!("{}\n  {}\n  {}", path.display(), describe(&facts), describe_fit(&fit)))?;
    }
    if let Err(e) = supported {
        bail!("{e}");
    }
    Ok(())
}

pub fn describe(f: &ModelFacts) -> String {
    let mut parts = vec![
        f.name.clone().unwrap_or_else(|| "(unnamed)".into()),
        f.architecture.clone(),
        format!("{:.2}B params", f.parameter_count as f64 / 1e9),
        f.file_type_name.clone().unwrap_or_else(|| "?".into()),
        format!("{:.0} MiB", f.file_size as f64 / (1 << 20) as f64),
        format!("context {}", f.context_length.map_or("?".into(), |c| c.to_string())),
        format!("rope base {}", f.rope_freq_base.map_or("?".into(), |r| r.to_string())),
        format!("vocab {}", f.vocab_size.map_or("?".into(), |v| v.to_string())),
    ];
    if f.has_chat_template {
        parts.push("chat template".into());
    }
    if let Some(k) = f.code_llama {
        let size = k.size_b.map_or(String::new(), |b| format!(" {b}B"));
        parts.push(format!("Code Llama{size} {:?}", k.flavour));
    }
    let modes: Vec<&str> = [(f.modes.chat, "chat"), (f.modes.complete, "complete"), (f.modes.infill, "infill")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    parts.push(format!("modes: {}", modes.join(", ")));
    parts.join(" · ")
}

pub fn describe_fit(fit: &FitEstimate) -> String {
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    let verdict = match fit.available_bytes {
        Some(a) if fit.fits => format!("fits ({:.1} GiB available)", gib(a)),
        Some(a) => format!("DOES NOT FIT ({:.1} GiB available)", gib(a)),
        None => "available memory unknown".into(),
    };
    format!(
        "needs {:.2} GiB at context {} (weights {:.2} + KV cache {:.2} + runtime {:.2}): {verdict}",
        gib(fit.total_bytes),
        fit.context,
        gib(fit.weights_bytes),
        gib(fit.kv_cache_bytes),
        gib(fit.overhead_bytes)
    )
}

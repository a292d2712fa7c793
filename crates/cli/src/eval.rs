//! `desk eval humaneval` and `desk eval infill`: the model's own prompt
//! format, every candidate run against its tests in the sandbox, pass@k.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use desk_engine::{Backend, EventStream, LoadOptions};
use desk_eval::{instruct_request, mask_line, Mode, Problem, Sandbox, SandboxConfig};
use desk_protocol::{ChatEvent, Conversation, Message, OverflowPolicy, PromptFormat, SamplingParams};
use futures::StreamExt;

use crate::args::ModelArgs;
use crate::load::open;

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub suite: Suite,
}

#[derive(Subcommand, Debug)]
pub enum Suite {
    /// HumanEval (164 problems): generate, run the tests in a sandbox, report pass@k.
    Humaneval(EvalOptions),
    /// Single-line infilling on HumanEval: one line of each canonical solution masked and filled.
    Infill(EvalOptions),
}

#[derive(Args, Debug)]
pub struct EvalOptions {
    /// HumanEval.jsonl(.gz) (default: $DESK_HUMANEVAL, else ~/.cache/desk-data/HumanEval.jsonl.gz, fetched by the setup).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Only the first N problems.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Samples per problem (pass@k needs n >= k; more than 1 samples at --temperature).
    #[arg(long, default_value_t = 1)]
    pub samples: usize,
    #[arg(long, default_value_t = 1)]
    pub k: usize,
    /// 0 = greedy (the default for pass@1).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    #[arg(long, default_value_t = 384)]
    pub max_tokens: usize,
    /// How the problem is put to the model (default: chat for instruct/chat models, completion otherwise).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Seconds each candidate may run.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum ModeArg {
    Instruct,
    Completion,
}

pub async fn run(args: EvalArgs) -> Result<()> {
    let (opts, infill) = match args.suite {
        Suite::Humaneval(o) => (o, false),
        Suite::Infill(o) => (o, true),
    };
    let data = opts.data.clone().unwrap_or_else(default_data);
    let mut problems = desk_eval::load(&data).with_context(|| {
        format!("HumanEval data at {} (fetch it with `bash crates/eval/fetch-humaneval.sh ~/.cache/desk-data`)", data.display())
    })?;
    if let Some(n) = opts.limit {
        problems.truncate(n);
    }
    let sandbox = Sandbox::new(SandboxConfig { timeout: Duration::from_secs(opts.timeout), ..SandboxConfig::default() })?;
    let engine = open(&opts.model, LoadOptions::default()).await?;
    let mode = if infill {
        desk_engine::infill::supports_infill(&engine.facts()).map_err(|e| anyhow::anyhow!("this model cannot fill in code: {e}"))?;
        Mode::Infill
    } else {
        match (opts.mode, engine.facts().format) {
            (Some(ModeArg::Instruct), _) => Mode::Instruct,
            (Some(ModeArg::Completion), _) => Mode::Completion,
            (None, PromptFormat::Completion) => Mode::Completion,
            (None, _) => Mode::Instruct,
        }
    };
    let settings = desk_eval::EvalSettings { model: engine.facts().file_name.clone(), mode, n_samples: opts.samples, k: opts.k };
    let json = opts.model.json;
    let total = problems.len();
    let mut done = 0usize;
    let handle = tokio::runtime::Handle::current();
    let report = tokio::task::block_in_place(|| {
        desk_eval::run_eval(
            &problems,
            &settings,
            &sandbox,
            |problem, sample| {
                let params = SamplingParams {
                    temperature: opts.temperature,
                    seed: Some(sample as u64),
                    ..SamplingParams::greedy(opts.max_tokens)
                };
                handle.block_on(generate(engine.as_ref(), problem, mode, &params))
            },
            |result| {
                done += 1;
                if !json {
                    eprintln!("[{done}/{total}] {} {}/{}", result.task_id, result.passed_count, result.samples);
                }
            },
        )
    })?;
    if json {
        crate::out::print_line(&serde_json::to_string(&report)?)
    } else {
        crate::out::print_line(&desk_eval::render_table(&report))
    }
}

fn default_data() -> PathBuf {
    if let Some(p) = std::env::var_os("DESK_HUMANEVAL") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache/desk-data/HumanEval.jsonl.gz")
}

/// One candidate, in the format the mode asks for, cut short as soon as the
/// rest could not change the program (saves most of the generation time).
async fn generate(engine: &dyn Backend, problem: &Problem, mode: Mode, params: &SamplingParams) -> Result<desk_eval::Generation> {
    let ((stream, cancel), done): ((EventStream, desk_engine::CancelHandle), fn(&str) -> bool) = match mode {
        Mode::Instruct => {
            let conv = Conversation { system: None, messages: vec![Message::user(instruct_request(problem))] };
            (engine.stream(&conv, params, OverflowPolicy::Error).await?, closed_code_block)
        }
        Mode::Completion => (engine.complete(&problem.prompt, params).await?, |t| desk_eval::truncate_completion(t).len() < t.len()),
        Mode::Infill => {
            let Some(case) = mask_line(problem) else { bail!("{}: no line to mask", problem.task_id) };
            // A single-line check: the first line of the fill is what counts.
            (engine.infill(&case.prefix, &case.suffix, params).await?, |t| t.contains('\n'))
        }
    };
    collect_until(stream, cancel, done).await
}

fn closed_code_block(text: &str) -> bool {
    text.matches("```").count() >= 2 || text.contains("[/PYTHON]")
}

async fn collect_until(mut stream: EventStream, cancel: desk_engine::CancelHandle, done: fn(&str) -> bool) -> Result<desk_eval::Generation> {
    let mut text = String::new();
    let mut tokens = 0u64;
    while let Some(event) = stream.next().await {
        match event {
            ChatEvent::Text { delta } => {
                text.push_str(&delta);
                if done(&text) {
                    cancel.cancel();
                }
            }
            ChatEvent::Usage(u) => tokens = u.completion_tokens as u64,
            ChatEvent::Stopped { reason: desk_protocol::StopReason::Error { message } | desk_protocol::StopReason::Interrupted { message }, .. } => bail!("generation failed: {message}"),
            _ => {}
        }
    }
    Ok(desk_eval::Generation { text, tokens: Some(tokens) })
}

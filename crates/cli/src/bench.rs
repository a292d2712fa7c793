use anyhow::{bail, Result};
use clap::Args;
use desk_engine::{CancelHandle, LoadOptions};
use desk_protocol::{SamplingParams, StopReason};

use crate::args::ModelArgs;
use crate::load::load;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Prompt length in tokens (exactly).
    #[arg(long, default_value_t = 512)]
    pub prompt_tokens: usize,
    /// Tokens to generate (exactly: end-of-sequence is ignored).
    #[arg(long, default_value_t = 64)]
    pub gen_tokens: usize,
    /// Also measure a follow-up question in the same chat: the pasted prompt
    /// should come from the prefix cache, so turn 2 pays only for new tokens.
    #[arg(long)]
    pub turn2: bool,
    /// Also measure the time to first token after Enter for a pasted file and a
    /// typed question, sent cold and sent after the paste was prefilled while
    /// the question was being typed (as the app and `desk chat` do).
    #[arg(long)]
    pub warm: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

const FILLER: &str = "fn main() {\n    let numbers: Vec<u64> = (1..=100).filter(|n| n % 3 == 0).collect();\n    println!(\"sum = {}\", numbers.iter().sum::<u64>());\n}\n";

pub async fn run(args: BenchArgs) -> Result<()> {
    if args.model.remote.is_some() {
        bail!("desk bench measures the engine in this process; --remote is for ask, chat, complete, infill, eval and serve");
    }
    if args.prompt_tokens == 0 || args.gen_tokens == 0 {
        bail!("--prompt-tokens and --gen-tokens must be at least 1");
    }
    let mut model_args = args.model.clone();
    // Turn 2 holds the paste, both replies and the question wrapping.
    let needed = if args.turn2 || args.warm { args.prompt_tokens + 3 * args.gen_tokens + 256 } else { args.prompt_tokens + args.gen_tokens };
    model_args.ctx = Some(model_args.ctx.unwrap_or(needed).max(needed));
    let engine = load(&model_args, LoadOptions::default()).await?;
    let unit = engine.encode(FILLER)?;
    if unit.is_empty() {
        bail!("the tokenizer produced no tokens for the benchmark text");
    }
    let prompt: Vec<u32> = unit.iter().copied().cycle().take(args.prompt_tokens).collect();
    let params = SamplingParams { ignore_eos: true, ..SamplingParams::greedy(args.gen_tokens) };
    let reply = engine.stream_tokens(prompt, None, &params).await?.collect_reply(|_| {}).await;
    if let StopReason::Error { message } = &reply.reason {
        bail!("generation failed: {message}");
    }
    let u = &reply.usage;
    let peak_rss_mib = peak_rss_kib().map(|k| k as f64 / 1024.0);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if args.model.json {
        let out = serde_json::json!({
            "model": engine.facts().file_name,
            "quant": engine.facts().file_type_name,
            "dtype": engine.activations(),
            "threads": threads,
            "load_ms": engine.load_ms,
            "prompt_tokens": u.prompt_tokens,
            "gen_tokens": u.completion_tokens,
            "ttft_ms": u.ttft_ms,
            "prompt_tok_per_s": u.prompt_tok_per_s,
            "decode_tok_per_s": u.decode_tok_per_s,
            "peak_rss_mib": peak_rss_mib,
        });
        println!("{out}");
    } else {
        println!("model            {}", engine.facts().file_name);
        println!("threads          {threads}");
        println!("activations      {}", engine.activations());
        println!("load             {:.2} s", engine.load_ms as f64 / 1e3);
        println!("prompt           {} tokens, {:.1} tok/s", u.prompt_tokens, u.prompt_tok_per_s);
        println!("time to 1st tok  {:.0} ms", u.ttft_ms);
        println!("decode           {} tokens, {:.1} tok/s", u.completion_tokens, u.decode_tok_per_s);
        if let Some(rss) = peak_rss_mib {
            println!("peak RSS         {rss:.0} MiB");
        }
    }
    if args.turn2 {
        let t = turn2(&engine, &unit, args.prompt_tokens, args.gen_tokens).await?;
        if args.model.json {
            println!("{}", serde_json::json!({ "turn1_ttft_ms": t.0, "turn2_ttft_ms": t.1, "turn1_prompt_tokens": t.2, "turn2_prompt_tokens": t.3, "turn2_over_turn1": t.1 / t.0 }));
        } else {
            println!("chat turn 1      {} prompt tokens, TTFT {:.0} ms", t.2, t.0);
            println!("chat turn 2      {} prompt tokens, TTFT {:.0} ms ({:.3}x turn 1)", t.3, t.1, t.1 / t.0);
        }
    }
    if args.warm {
        let w = after_enter(&engine, &unit, args.prompt_tokens, args.gen_tokens).await?;
        if args.model.json {
            println!("{}", serde_json::json!({
                "cold_ttft_ms": w.cold_ms, "warm_ttft_ms": w.warm_ms, "warm_over_cold": w.warm_ms / w.cold_ms,
                "prompt_tokens": w.prompt_tokens, "prefilled_tokens": w.prefilled, "prefill_ms": w.prefill_ms,
            }));
        } else {
            println!("after Enter      {} prompt tokens: TTFT {:.0} ms cold, {:.0} ms with {} tokens prefilled while typing ({:.3}x; prefill took {:.0} ms)",
                w.prompt_tokens, w.cold_ms, w.warm_ms, w.prefilled, w.warm_ms / w.cold_ms, w.prefill_ms);
        }
    }
    if u.completion_tokens != args.gen_tokens {
        bail!("generated {} tokens instead of {}", u.completion_tokens, args.gen_tokens);
    }
    Ok(())
}

/// A pasted file of about `paste_tokens` and a question, then a follow-up in
/// the same conversation, through the chat prompt format as the app sends it.
/// Returns (turn-1 TTFT ms, turn-2 TTFT ms, turn-1 prompt tokens, turn-2 prompt tokens).
async fn turn2(engine: &desk_engine::Engine, unit: &[u32], paste_tokens: usize, gen: usize) -> Result<(f64, f64, usize, usize)> {
    use desk_protocol::{Conversation, Message, OverflowPolicy};
    let copies = paste_tokens.div_ceil(unit.len().max(1));
    let paste = FILLER.repeat(copies);
    let mut conv = Conversation { system: None, messages: vec![Message::user(format!("```rust\n{paste}```\nWhat does this code print?"))] };
    let params = SamplingParams::greedy(gen);
    let first = engine.stream(&conv, &params, OverflowPolicy::Error).await?.collect_reply(|_| {}).await;
    conv.messages.push(Message::assistant(first.text.clone()));
    conv.messages.push(Message::user("And what if the filter kept multiples of 5 instead?"));
    let second = engine.stream(&conv, &params, OverflowPolicy::Error).await?.collect_reply(|_| {}).await;
    for r in [&first, &second] {
        if let StopReason::Error { message } = &r.reason {
            bail!("generation failed: {message}");
        }
    }
    Ok((first.usage.ttft_ms, second.usage.ttft_ms, first.usage.prompt_tokens, second.usage.prompt_tokens))
}

struct AfterEnter {
    cold_ms: f64,
    warm_ms: f64,
    prompt_tokens: usize,
    prefilled: usize,
    prefill_ms: f64,
}

/// A pasted file of about `paste_tokens` and a typed question of about 20 tokens,
/// sent once cold and once after the paste was prefilled from the draft (the
/// stable part: up to the draft's last line break). Each run pastes a different
/// file, so neither finds the other's work in the prefix cache.
async fn after_enter(engine: &desk_engine::Engine, unit: &[u32], paste_tokens: usize, gen: usize) -> Result<AfterEnter> {
    use desk_protocol::{Conversation, Message, OverflowPolicy};
    let copies = paste_tokens.div_ceil(unit.len().max(1));
    let question = "What does this code print, and is there a shorter way to write the filter in idiomatic Rust?";
    let draft = |run: &str| format!("```rust\n// {run}\n{}```\n{question}", FILLER.repeat(copies));
    let params = SamplingParams::greedy(gen.min(8));
    let empty = Conversation::new(None);
    let send = |text: String| {
        let conv = Conversation { system: None, messages: vec![Message::user(text)] };
        let params = params.clone();
        async move {
            let reply = engine.stream(&conv, &params, OverflowPolicy::Error).await?.collect_reply(|_| {}).await;
            if let StopReason::Error { message } = &reply.reason {
                bail!("generation failed: {message}");
            }
            Ok::<_, anyhow::Error>(reply.usage)
        }
    };
    let cold = send(draft("cold run")).await?;
    let warm_draft = draft("warm run");
    let t0 = std::time::Instant::now();
    let prefix = engine.draft_prefix(&empty, &warm_draft).await?;
    let done = engine.prefill(&prefix, &CancelHandle::default(), |_| {}).await?;
    let prefill_ms = t0.elapsed().as_secs_f64() * 1e3;
    let warm = send(warm_draft).await?;
    Ok(AfterEnter { cold_ms: cold.ttft_ms, warm_ms: warm.ttft_ms, prompt_tokens: warm.prompt_tokens, prefilled: done.ready, prefill_ms })
}

/// Peak resident memory of this process (Linux `VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

use std::io::{IsTerminal, Read, Write};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use clap::Args;
use desk_engine::{Backend, CancelHandle, LoadOptions, Reply};
use desk_protocol::{ChatEvent, Conversation, Dropped, Message, OverflowPolicy, SamplingParams, StopReason};
use futures::StreamExt;

use crate::args::{GenArgs, ModelArgs, SaveArgs};
use crate::load::open;
use crate::record::Recorder;

#[derive(Args, Debug)]
pub struct AskArgs {
    /// The question; a snippet piped on stdin is appended to it.
    pub question: Vec<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub gen: GenArgs,
    #[command(flatten)]
    pub save: SaveArgs,
}

pub async fn run(args: AskArgs) -> Result<()> {
    let mut question = args.question.join(" ");
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut snippet = String::new();
        stdin.lock().read_to_string(&mut snippet).context("reading the snippet from stdin")?;
        if !snippet.trim().is_empty() {
            if !question.is_empty() {
                question.push_str("\n\n");
            }
            question.push_str(&snippet);
        }
    }
    if question.trim().is_empty() {
        bail!("nothing to ask: give a question, or pipe a snippet on stdin");
    }
    let engine = open(&args.model, LoadOptions::default()).await?;
    let conv = Conversation { system: args.gen.system.clone(), messages: vec![Message::user(question)] };
    let slot = install_ctrl_c();
    let params = args.gen.sampling();
    let mut recorder = match args.save.no_save {
        true => Recorder::off(),
        false => Recorder::open(&engine.facts().file_name, &params, conv.system.clone()),
    };
    let mut turn = recorder.begin_turn(&conv.messages[0].content);
    let answered = answer(engine.as_ref(), &conv, &params, args.gen.policy(), !args.model.json, &slot, &mut |e: &ChatEvent| turn.record(e)).await;
    let (reply, dropped) = match answered {
        Ok(done) => done,
        Err(e) => {
            turn.fail(&format!("{e:#}"));
            return Err(e);
        }
    };
    recorder.end_turn(turn, true);
    if args.model.json {
        let out = serde_json::json!({
            "model": engine.facts().file_name,
            "conversation": recorder.conversation(),
            "text": reply.text,
            "reason": reply.reason,
            "usage": reply.usage,
            "dropped": dropped,
        });
        println!("{out}");
    } else {
        print_stats(&reply);
        if let Some(id) = recorder.conversation() {
            eprintln!("(saved as conversation {id}: `desk history show {id}`, `desk chat --resume {id}`)");
        }
    }
    if let StopReason::Error { message } | StopReason::Interrupted { message } = &reply.reason {
        bail!("generation failed: {message}");
    }
    Ok(())
}

/// Where Ctrl-C finds the reply to stop; empty between replies.
pub type CancelSlot = Arc<Mutex<Option<CancelHandle>>>;

/// Route Ctrl-C to the running reply for the life of the process, so it stops
/// the reply and never the program.
pub fn install_ctrl_c() -> CancelSlot {
    let slot: CancelSlot = Arc::default();
    let watched = slot.clone();
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            match watched.lock().ok().and_then(|mut s| s.take()) {
                Some(handle) => handle.cancel(),
                None => eprintln!("\n(nothing to stop: type /quit or press Ctrl-D to leave)"),
            }
        }
    });
    slot
}

/// Stream one reply to stdout (when `echo`); Ctrl-C stops it, keeping what came.
/// `on_event` sees every event as it arrives, before it is shown, so a
/// recording is never behind the screen.
pub async fn answer(
    engine: &dyn Backend,
    conv: &Conversation,
    params: &SamplingParams,
    policy: OverflowPolicy,
    echo: bool,
    slot: &CancelSlot,
    on_event: &mut dyn FnMut(&ChatEvent),
) -> Result<(Reply, Option<Dropped>)> {
    let (mut stream, cancel) = engine.stream(conv, params, policy).await?;
    if let Ok(mut s) = slot.lock() {
        *s = Some(cancel);
    }
    let mut dropped = None;
    let mut usage = Default::default();
    let mut out = std::io::stdout().lock();
    let mut result = None;
    while let Some(event) = stream.next().await {
        on_event(&event);
        match event {
            ChatEvent::Started { dropped: d, .. } => {
                if let (Some(d), true) = (&d, echo) {
                    eprintln!("[context full: dropped {} earlier messages ({} tokens)]", d.message_indices.len(), d.tokens);
                }
                dropped = d;
            }
            ChatEvent::Text { delta } => {
                if echo {
                    // A closed stdout (e.g. `| head`) must not stop the reply being recorded.
                    let _ = out.write_all(delta.as_bytes()).and_then(|_| out.flush());
                }
            }
            ChatEvent::Notice { message } => eprintln!("\n[{message}]"),
            ChatEvent::Usage(u) => usage = u,
            ChatEvent::Stopped { reason, text } => {
                result = Some(Reply { text, reason, usage: std::mem::take(&mut usage) });
            }
        }
    }
    if let Ok(mut s) = slot.lock() {
        *s = None;
    }
    if echo {
        let _ = writeln!(out);
    }
    let reply = result.context("the reply stream ended without a stop event")?;
    Ok((reply, dropped))
}

pub fn print_stats(reply: &Reply) {
    let u = &reply.usage;
    let why = match &reply.reason {
        StopReason::EndOfText => "done".to_string(),
        StopReason::MaxTokens => "stopped at max tokens".to_string(),
        StopReason::Cancelled => "stopped".to_string(),
        StopReason::Interrupted { message } => format!("interrupted: {message}"),
        StopReason::Error { message } => format!("error: {message}"),
    };
    eprintln!(
        "[{why} · {} prompt + {} reply tokens · TTFT {:.0} ms · {:.1} tok/s]",
        u.prompt_tokens, u.completion_tokens, u.ttft_ms, u.decode_tok_per_s
    );
}

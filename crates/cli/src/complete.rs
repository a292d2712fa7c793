//! `desk complete`: the model continues your text (Code Llama base and Python,
//! or any model), streamed to stdout.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use desk_engine::LoadOptions;
use desk_protocol::{ChatEvent, StopReason};
use futures::StreamExt;

use crate::args::{GenArgs, ModelArgs};
use crate::load::open;

#[derive(Args, Debug)]
pub struct CompleteArgs {
    /// Text to continue: a file, or stdin when omitted.
    pub file: Option<PathBuf>,
    /// Print only the continuation, not the text before it.
    #[arg(long)]
    pub only_new: bool,
    #[command(flatten)]
    pub gen: GenArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub async fn run(args: CompleteArgs) -> Result<()> {
    let text = crate::out::read_input(args.file.as_deref(), "the text to continue")?;
    let engine = open(&args.model, LoadOptions::default()).await?;
    let (mut stream, _) = engine.complete(&text, &args.gen.sampling()).await?;
    let mut out = std::io::stdout().lock();
    if !args.only_new && !args.model.json {
        out.write_all(text.as_bytes())?;
    }
    let (mut continuation, mut reason, mut usage) = (String::new(), StopReason::EndOfText, None);
    while let Some(event) = stream.next().await {
        match event {
            ChatEvent::Text { delta } if !args.model.json => {
                out.write_all(delta.as_bytes())?;
                out.flush()?;
            }
            ChatEvent::Notice { message } => eprintln!("[{message}]"),
            ChatEvent::Usage(u) => usage = Some(u),
            ChatEvent::Stopped { reason: r, text } => {
                continuation = text;
                reason = r;
            }
            _ => {}
        }
    }
    if args.model.json {
        writeln!(out, "{}", serde_json::json!({ "continuation": continuation, "reason": reason, "usage": usage }))?;
    } else {
        writeln!(out)?;
    }
    if let StopReason::Error { message } | StopReason::Interrupted { message } = reason {
        bail!("generation failed: {message}");
    }
    Ok(())
}

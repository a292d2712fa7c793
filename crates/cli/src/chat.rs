use std::io::{BufRead, Write};

use anyhow::Result;
use clap::Args;
use desk_engine::LoadOptions;
use desk_protocol::{Conversation, Message, StopReason};

use crate::args::{GenArgs, ModelArgs};
use crate::ask::{answer, install_ctrl_c, print_stats};
use crate::load::load;

#[derive(Args, Debug)]
pub struct ChatArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub gen: GenArgs,
}

const HELP: &str = "Type a message and press Enter. Paste several lines between two lines of \"\"\".\n\
/reset starts over, /system TEXT sets the system prompt, /quit leaves. Ctrl-C stops a reply.";

pub async fn run(args: ChatArgs) -> Result<()> {
    let engine = load(&args.model, LoadOptions::default()).await?;
    let slot = install_ctrl_c();
    let mut lines = spawn_line_reader();
    let mut conv = Conversation::new(args.gen.system.clone());
    let params = args.gen.sampling();
    eprintln!("{HELP}");
    loop {
        eprint!("\n> ");
        let _ = std::io::stderr().flush();
        let Some(input) = read_message(&mut lines).await else { break };
        let trimmed = input.trim();
        match trimmed {
            "" => continue,
            "/quit" | "/exit" => break,
            "/reset" => {
                conv.messages.clear();
                eprintln!("(conversation cleared)");
                continue;
            }
            "/help" => {
                eprintln!("{HELP}");
                continue;
            }
            _ if trimmed.starts_with("/system") => {
                let text = trimmed.trim_start_matches("/system").trim();
                conv.system = (!text.is_empty()).then(|| text.to_string());
                eprintln!("(system prompt {})", if conv.system.is_some() { "set" } else { "cleared" });
                continue;
            }
            _ => {}
        }
        conv.messages.push(Message::user(input));
        match answer(&engine, &conv, &params, args.gen.policy(), true, &slot).await {
            Ok((reply, _)) => {
                print_stats(&reply);
                if matches!(reply.reason, StopReason::Error { .. }) {
                    conv.messages.pop();
                } else {
                    // A stopped reply is kept as the model's answer so far.
                    conv.messages.push(Message::assistant(reply.text));
                }
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                conv.messages.pop();
            }
        }
    }
    Ok(())
}

/// Stdin is read on its own thread so the async runtime stays free for streaming.
fn spawn_line_reader() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// One message: a line, or the lines between two `"""` lines.
async fn read_message(lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> Option<String> {
    let first = lines.recv().await?;
    if first.trim() != "\"\"\"" {
        return Some(first);
    }
    let mut block = Vec::new();
    while let Some(line) = lines.recv().await {
        if line.trim() == "\"\"\"" {
            break;
        }
        block.push(line);
    }
    Some(block.join("\n"))
}

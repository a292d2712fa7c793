use std::io::{BufRead, Write};

use anyhow::{Context, Result};
use clap::Args;
use desk_engine::LoadOptions;
use desk_protocol::{ChatEvent, Conversation, ConversationId, Message, MessageId, Role, StopReason};

use crate::args::{GenArgs, ModelArgs, SaveArgs};
use crate::draft::read_message;
use crate::ask::{answer, install_ctrl_c, print_stats};
use crate::load::open;
use crate::record::{open_store, Recorder};

#[derive(Args, Debug)]
pub struct ChatArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub gen: GenArgs,
    #[command(flatten)]
    pub save: SaveArgs,
    /// Continue a stored conversation (an id from `desk history list`).
    #[arg(long, value_name = "ID")]
    pub resume: Option<ConversationId>,
}

const HELP: &str = "Type a message and press Enter. Paste several lines between two lines of \"\"\".\n\
/reset starts over, /system TEXT sets the system prompt, /quit leaves. Ctrl-C stops a reply.";

pub async fn run(args: ChatArgs) -> Result<()> {
    // A bad id fails before the model takes its seconds to load.
    let resumed = match args.resume {
        Some(id) => Some(load_resumed(id, args.gen.system.clone())?),
        None => None,
    };
    let engine = open(&args.model, LoadOptions::default()).await?;
    let slot = install_ctrl_c();
    let mut lines = spawn_line_reader();
    let params = args.gen.sampling();
    let model = engine.facts().file_name.clone();
    let (mut conv, mut recorder) = match resumed {
        Some(r) => {
            eprintln!("{}", r.recap);
            let mut recorder = if args.save.no_save {
                Recorder::off()
            } else {
                Recorder::with_store(r.store, &model, &params, r.conv.system.clone())
            };
            recorder.continue_at(r.id, r.leaf);
            (r.conv, recorder)
        }
        None if args.save.no_save => (Conversation::new(args.gen.system.clone()), Recorder::off()),
        None => (Conversation::new(args.gen.system.clone()), Recorder::open(&model, &params, args.gen.system.clone())),
    };
    eprintln!("{HELP}");
    loop {
        eprint!("\n> ");
        let _ = std::io::stderr().flush();
        let Some((input, prefilled)) = read_message(&mut lines, engine.as_ref(), &conv).await else { break };
        if let Some(p) = prefilled.filter(|p| p.ready > 0) {
            eprintln!("({} of {} prompt tokens computed while you pasted)", p.ready, p.total);
        }
        let trimmed = input.trim();
        match trimmed {
            "" => continue,
            "/quit" | "/exit" => break,
            "/reset" => {
                conv.messages.clear();
                recorder.reset();
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
                recorder.set_system(conv.system.clone());
                eprintln!("(system prompt {})", if conv.system.is_some() { "set" } else { "cleared" });
                continue;
            }
            _ => {}
        }
        let mut turn = recorder.begin_turn(&input);
        conv.messages.push(Message::user(input));
        let answered = answer(engine.as_ref(), &conv, &params, args.gen.policy(), true, &slot, &mut |e: &ChatEvent| turn.record(e)).await;
        match answered {
            Ok((reply, _)) => {
                print_stats(&reply);
                let kept = !matches!(reply.reason, StopReason::Error { .. });
                recorder.end_turn(turn, kept);
                if kept {
                    // A stopped reply is kept as the model's answer so far.
                    conv.messages.push(Message::assistant(reply.text));
                } else {
                    conv.messages.pop();
                }
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                turn.fail(&format!("{e:#}"));
                recorder.end_turn(turn, false);
                conv.messages.pop();
            }
        }
    }
    Ok(())
}

/// A stored conversation ready to continue.
struct Resumed {
    store: desk_store::Store,
    id: ConversationId,
    conv: Conversation,
    /// The last message of the active branch: new turns go below it.
    leaf: Option<MessageId>,
    recap: String,
}

/// `--system` replaces the stored system prompt for the turns to come.
fn load_resumed(id: ConversationId, system: Option<String>) -> Result<Resumed> {
    let store = open_store()?;
    let view = store.view(id).with_context(|| format!("cannot resume conversation {id}"))?;
    let mut conv = store.resume(id).with_context(|| format!("cannot resume conversation {id}"))?;
    if system.is_some() {
        conv.system = system;
    }
    let mut leaf = view.branch.last().map(|b| b.message.id);
    let mut unanswered = false;
    // A question with no reply at the end would make two questions in a row;
    // the next one goes beside it instead, as an edited question would.
    if let (Some(last), Some(Message { role: Role::User, .. })) = (view.branch.last(), conv.messages.last()) {
        leaf = last.message.parent;
        conv.messages.pop();
        unanswered = true;
    }
    let title = if view.meta.title.is_empty() { "untitled" } else { view.meta.title.as_str() };
    let mut recap = format!("resuming conversation {id} \"{title}\": {} message(s)", conv.messages.len());
    if let Some(model) = &view.meta.model {
        recap.push_str(&format!(", recorded with {model}"));
    }
    if let Some(last) = conv.messages.iter().rev().find(|m| m.role == Role::User) {
        recap.push_str(&format!("\nlast question: {}", crate::history::preview(&last.content, 100)));
    }
    if unanswered {
        recap.push_str("\n(its last question has no reply; the next message takes its place)");
    }
    Ok(Resumed { store, id, conv, leaf, recap })
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

//! `desk history`: the stored conversations from the terminal.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use desk_protocol::{ConversationId, Role};
use desk_store::Store;

use crate::record::open_store;

#[derive(Args, Debug)]
pub struct HistoryArgs {
    #[command(subcommand)]
    command: HistoryCommand,
    /// Machine-readable output (list, show, search, rm, import).
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum HistoryCommand {
    /// Stored conversations, most recently updated first.
    List {
        #[arg(long, default_value_t = 0)]
        offset: u64,
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
    /// A conversation's active branch, with every message's state.
    Show { id: ConversationId },
    /// Messages containing every word, best match first.
    Search {
        #[arg(required = true)]
        text: Vec<String>,
        #[arg(long, default_value_t = 0)]
        offset: u64,
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
    /// Delete a conversation; its text is scrubbed from the database files.
    Rm { id: ConversationId },
    /// Export one conversation (or all) to Markdown, JSON (complete, for import) or HTML.
    Export {
        id: Option<ConversationId>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Import a JSON export (`-` reads stdin); conversations get new ids.
    Import { file: PathBuf },
}

#[derive(ValueEnum, Debug, Clone, Copy)]
enum Format {
    Md,
    Json,
    Html,
}

pub fn run(args: HistoryArgs) -> Result<()> {
    let store = open_store()?;
    let json = args.json;
    let mut stdout = std::io::stdout().lock();
    let out: &mut dyn Write = &mut stdout;
    let result = match args.command {
        HistoryCommand::List { offset, limit } => list(&store, out, offset, limit, json),
        HistoryCommand::Show { id } => show(&store, out, id, json),
        HistoryCommand::Search { text, offset, limit } => search(&store, out, &text.join(" "), offset, limit, json),
        HistoryCommand::Rm { id } => rm(&store, out, id, json),
        HistoryCommand::Export { id, format, out: file } => export(&store, out, id, format, file.as_deref()),
        HistoryCommand::Import { file } => import(&store, out, &file, json),
    };
    match result.and_then(|()| Ok(out.flush()?)) {
        // `desk history list | head` is not an error.
        Err(e) if broken_pipe(&e) => Ok(()),
        other => other,
    }
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

fn list(store: &Store, out: &mut dyn Write, offset: u64, limit: u64, json: bool) -> Result<()> {
    let page = store.list(offset, limit)?;
    let total = store.count()?;
    if json {
        let page = serde_json::json!({ "total": total, "offset": offset, "conversations": page });
        writeln!(out, "{page}")?;
        return Ok(());
    }
    if page.is_empty() {
        match total {
            0 => eprintln!("no conversations yet: `desk ask` and `desk chat` record theirs here"),
            n => eprintln!("no conversations past {offset} (there are {n})"),
        }
        return Ok(());
    }
    writeln!(out, "{:>5}  {:<17}  {:>4}  TITLE", "ID", "UPDATED (UTC)", "MSGS")?;
    for c in &page {
        let title = if c.title.is_empty() { "(untitled)".to_string() } else { preview(&c.title, 70) };
        writeln!(out, "{:>5}  {:<17}  {:>4}  {title}", c.id, utc(c.updated_ms), c.message_count)?;
    }
    let shown_to = offset + page.len() as u64;
    if shown_to < total {
        eprintln!("({}-{} of {total}; --offset {shown_to} for more)", offset + 1, shown_to);
    }
    Ok(())
}

fn show(store: &Store, out: &mut dyn Write, id: ConversationId, json: bool) -> Result<()> {
    let view = store.view(id)?;
    let total = store.messages(id)?.len();
    if json {
        let mut value = serde_json::to_value(&view)?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("message_count".into(), total.into());
        }
        writeln!(out, "{value}")?;
        return Ok(());
    }
    let meta = &view.meta;
    let title = if meta.title.is_empty() { "(untitled)" } else { meta.title.as_str() };
    writeln!(out, "# {title}  (conversation {id})")?;
    let mut facts = vec![format!("started {}", utc(meta.created_ms)), format!("updated {}", utc(meta.updated_ms))];
    if let Some(model) = &meta.model {
        facts.insert(0, format!("model {model}"));
    }
    let shown = view.branch.len();
    facts.push(match total > shown {
        true => format!("{shown} messages on this branch, {} on others", total - shown),
        false => format!("{shown} messages"),
    });
    writeln!(out, "{}", facts.join(" · "))?;
    if let Some(system) = meta.system.as_deref().filter(|s| !s.trim().is_empty()) {
        writeln!(out, "system: {}", system.trim_end())?;
    }
    for b in &view.branch {
        let m = &b.message;
        let who = match m.role {
            Role::User => "You",
            Role::Assistant => "Assistant",
        };
        let mut label = who.to_string();
        if let Some(state) = state_label(m) {
            label.push_str(" · ");
            label.push_str(&state);
        }
        if b.siblings.len() > 1 {
            let at = b.siblings.iter().position(|s| *s == m.id).map_or(0, |i| i + 1);
            label.push_str(&format!(" · branch {at}/{}", b.siblings.len()));
        }
        writeln!(out, "\n── {label} ──\n{}", m.content.trim_end())?;
    }
    Ok(())
}

/// How a reply ended, when that is worth saying.
pub use desk_store::state_label;

fn search(store: &Store, out: &mut dyn Write, text: &str, offset: u64, limit: u64, json: bool) -> Result<()> {
    let results = store.search(text, offset, limit)?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&results)?)?;
        return Ok(());
    }
    if results.hits.is_empty() {
        eprintln!("no messages contain all of: {text}");
        return Ok(());
    }
    let (open, close) = if std::io::stdout().is_terminal() { ("\x1b[1m", "\x1b[0m") } else { ("**", "**") };
    for hit in &results.hits {
        let who = match hit.role {
            Role::User => "you",
            Role::Assistant => "assistant",
        };
        let title = if hit.conversation_title.is_empty() { "(untitled)" } else { hit.conversation_title.as_str() };
        let snippet = hit.snippet_marked(open, close).split_whitespace().collect::<Vec<_>>().join(" ");
        writeln!(out, "{:>5}  {title} · {who}: {snippet}", hit.conversation_id)?;
    }
    if let Some(n) = results.ranked_newest {
        eprintln!("(very many matches: only the newest {n} were ranked; more words narrow it down)");
    }
    Ok(())
}

fn rm(store: &Store, out: &mut dyn Write, id: ConversationId, json: bool) -> Result<()> {
    let deleted = store.delete(id)?;
    let messages = deleted.conversation.messages.len();
    if json {
        let done = serde_json::json!({ "deleted": id, "messages": messages, "wal_cleared": deleted.wal_cleared });
        writeln!(out, "{done}")?;
    } else {
        let title = &deleted.conversation.meta.title;
        eprintln!("deleted conversation {id} \"{title}\" ({messages} messages)");
    }
    if !deleted.wal_cleared {
        eprintln!("note: another desk or the app is reading the history; the deleted text leaves its log file when that one closes");
    }
    Ok(())
}

fn export(store: &Store, stdout: &mut dyn Write, id: Option<ConversationId>, format: Format, file: Option<&Path>) -> Result<()> {
    let ids = id.map(|id| vec![id]);
    // Checked before anything is written, so a bad id leaves no empty file.
    if let Some(id) = id {
        store.meta(id)?;
    }
    let write = |w: &mut dyn Write| -> Result<()> {
        match format {
            Format::Md => store.export_markdown(ids.as_deref(), w)?,
            Format::Json => store.export_json(ids.as_deref(), w)?,
            Format::Html => store.export_html(ids.as_deref(), w)?,
        }
        Ok(())
    };
    match file {
        None => write(stdout)?,
        Some(path) => write_file(path, write)?,
    }
    Ok(())
}

/// Writes beside the target and renames, so a failed export never leaves a
/// half-written file in place of a good one.
fn write_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let result = (|| -> Result<()> {
        let file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot move the export to {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn import(store: &Store, out: &mut dyn Write, file: &Path, json: bool) -> Result<()> {
    let mut input: Box<dyn Read> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(File::open(file).with_context(|| format!("cannot open {}", file.display()))?))
    };
    let ids = store.import_json(&mut input).with_context(|| format!("cannot import {}", file.display()))?;
    if json {
        writeln!(out, "{}", serde_json::json!({ "imported": ids }))?;
    } else {
        let list = ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        eprintln!("imported {} conversation(s): {list}", ids.len());
    }
    Ok(())
}

/// One line of at most `max` characters.
pub fn preview(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM` in UTC (the store keeps UTC; the
/// CLI has no time zone database to do better).
pub fn utc(ms: i64) -> String {
    desk_store::format_utc(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00");
        assert_eq!(utc(1_700_000_000_000), "2023-11-14 22:13");
    }

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("a\n  b", 10), "a b");
        assert_eq!(preview("héllo wörld", 5), "héllo…");
    }
}

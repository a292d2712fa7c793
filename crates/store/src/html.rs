//! HTML export of stored conversations: a static page, one `<section>` per
//! message of the active branch.
//!
//! Replies go through desk_render (markdown to a sanitised document, then
//! escaped HTML); questions through its question renderer (code highlighted,
//! prose as typed), because pasted code without fences would be mangled as markdown.

use std::io::Write;

use desk_protocol::{ConversationId, ConversationView, MessageStatus, ReplyEnd, Role, StoredMessage};

use crate::error::{Result, StoreError};
use crate::open::Store;
use crate::time::format_utc as utc;

/// How a stored reply ended, when that is worth saying next to it.
pub fn state_label(m: &StoredMessage) -> Option<String> {
    let end = m.stats.as_ref().and_then(|s| s.end);
    match (m.status, end) {
        (MessageStatus::Streaming, _) => Some("still being written".into()),
        (MessageStatus::Interrupted, _) | (_, Some(ReplyEnd::Interrupted)) => Some("interrupted".into()),
        (MessageStatus::Error, _) | (_, Some(ReplyEnd::Error)) => {
            let why = m.stats.as_ref().and_then(|s| s.error.as_deref()).unwrap_or("unknown");
            Some(format!("error: {why}"))
        }
        (_, Some(ReplyEnd::Stopped)) => Some("stopped".into()),
        (_, Some(ReplyEnd::MaxTokens)) => Some("cut at the token limit".into()),
        _ => None,
    }
}

impl Store {
    /// A static, sanitised HTML page of the given conversations (all when `None`).
    pub fn export_html(&self, ids: Option<&[ConversationId]>, out: &mut dyn Write) -> Result<()> {
        export_html(self, ids, out)
    }
}

fn export_html(store: &Store, ids: Option<&[ConversationId]>, out: &mut dyn Write) -> Result<()> {
    let ids = match ids {
        Some(ids) => ids.to_vec(),
        None => all_ids(store)?,
    };
    let css = |t| desk_render::theme_css(t).map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())));
    let light = css(desk_render::Theme::Light)?;
    let dark = css(desk_render::Theme::Dark)?;
    let page_title = match ids.as_slice() {
        [one] => title_of(&store.meta(*one)?.title).to_string(),
        _ => "Codellama Desk conversations".to_string(),
    };
    let mut head = String::from("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
    // Nothing in the page may load or run anything, whatever a message says.
    head.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    head.push_str(&format!("<title>{}</title>\n<style>\n", esc(&page_title)));
    head.push_str("body { max-width: 50rem; margin: 2rem auto; font-family: sans-serif; line-height: 1.5; }\n");
    head.push_str("section.message { border-top: 1px solid #8884; padding: 0.5rem 0; }\n");
    head.push_str(".user .text p { white-space: pre-wrap; }\n.meta { color: #888; font-size: 0.9em; }\n");
    head.push_str("pre.hl-code { padding: 0.75rem; overflow-x: auto; }\n");
    head.push_str(&style_safe(&light));
    head.push_str("\n@media (prefers-color-scheme: dark) {\nbody { background: #1e1e1e; color: #ddd; }\n");
    head.push_str(&style_safe(&dark));
    head.push_str("\n}\n</style>\n</head>\n<body>\n");
    out.write_all(head.as_bytes())?;
    for id in ids {
        let view = store.view(id)?;
        out.write_all(conversation_html(&view).as_bytes())?;
    }
    out.write_all(b"</body>\n</html>\n")?;
    Ok(())
}

fn all_ids(store: &Store) -> Result<Vec<ConversationId>> {
    let total = store.count()?;
    Ok(store.list(0, total)?.into_iter().map(|c| c.id).collect())
}

fn title_of(title: &str) -> &str {
    if title.is_empty() {
        "Untitled conversation"
    } else {
        title
    }
}

fn conversation_html(view: &ConversationView) -> String {
    let meta = &view.meta;
    let mut out = format!("<article class=\"conversation\">\n<h1>{}</h1>\n<p class=\"meta\">", esc(title_of(&meta.title)));
    if let Some(model) = &meta.model {
        out.push_str(&format!("Model: {} · ", esc(model)));
    }
    out.push_str(&format!("Started {} UTC · last message {} UTC</p>\n", utc(meta.created_ms), utc(meta.updated_ms)));
    if let Some(system) = meta.system.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str(&format!("<section class=\"message system\">\n<h2>System prompt</h2>\n<div class=\"text\">{}</div>\n</section>\n", esc(system)));
    }
    for b in &view.branch {
        let m = &b.message;
        let (class, who) = match m.role {
            Role::User => ("user", "You"),
            Role::Assistant => ("assistant", "Assistant"),
        };
        out.push_str(&format!("<section class=\"message {class}\">\n<h2>{who}</h2>\n"));
        match m.role {
            Role::User => {
                out.push_str("<div class=\"text\">\n");
                out.push_str(&desk_render::to_html(&desk_render::render_question(&m.content)));
                out.push_str("</div>\n");
            }
            Role::Assistant => {
                out.push_str("<div class=\"text\">\n");
                out.push_str(&desk_render::to_html(&desk_render::render(&m.content)));
                out.push_str("</div>\n");
            }
        }
        if let Some(state) = state_label(m) {
            out.push_str(&format!("<p class=\"meta\">{}</p>\n", esc(&state)));
        }
        out.push_str("</section>\n");
    }
    out.push_str("</article>\n");
    out
}

/// Theme CSS is generated, not model text, but must still never close the style element.
fn style_safe(css: &str) -> String {
    css.replace("</", "<\\/")
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_escaped() {
        assert_eq!(esc("<script>alert('x') & \"y\"</script>"), "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
    }
}

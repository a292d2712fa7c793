//! HTML export of stored conversations: a static page, one `<section>` per
//! message of the active branch.
//!
//! Replies go through desk_render (markdown to a sanitised document, then
//! escaped HTML); questions are shown as typed, escaped, because pasted code
//! without fences would be mangled as markdown.

use std::io::Write;

use anyhow::Result;
use desk_protocol::{ConversationId, ConversationView, Role};
use desk_store::Store;

use crate::history::{state_label, utc};

pub fn export_html(store: &Store, ids: Option<&[ConversationId]>, out: &mut dyn Write) -> Result<()> {
    let ids = match ids {
        Some(ids) => ids.to_vec(),
        None => all_ids(store)?,
    };
    let light = desk_render::theme_css(desk_render::Theme::Light)?;
    let dark = desk_render::theme_css(desk_render::Theme::Dark)?;
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
    head.push_str(".user .text { white-space: pre-wrap; font-family: monospace; }\n.meta { color: #888; font-size: 0.9em; }\n");
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
            Role::User => out.push_str(&format!("<div class=\"text\">{}</div>\n", esc(&m.content))),
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

//! Markdown + syntect -> a safe, highlighted typed document.
//!
//! Model output becomes [`desk_protocol::Document`]: blocks and styled spans the UI turns into
//! DOM nodes itself, so no model text is ever parsed as HTML. Code is highlighted with CSS
//! classes ([`theme_css`] writes the matching stylesheets). Replies are rendered as they stream
//! ([`StreamRenderer`]), re-rendering only the unfinished end.
//!
//! Safety rules, enforced here and re-checked by the HTML serialiser: only http, https and
//! mailto targets become links; images are never loaded (alt text and address shown); raw
//! HTML is shown as text; direction-override characters are shown, not obeyed; quotes and
//! lists nest at most [`MAX_DEPTH`] deep.

mod attach;
mod highlight;
mod html;
mod markdown;
mod sanitize;
mod segment;
mod stream;
mod syntax;
mod text;
mod theme;
mod unfenced;

use desk_protocol::Document;

pub use attach::{attachment, AttachError, ATTACH_MAX_BYTES};
pub use highlight::CLASS_PREFIX;
pub use html::{to_html, to_html_page};
pub use markdown::MAX_DEPTH;
pub use sanitize::safe_href;
pub use stream::StreamRenderer;
pub use text::to_text;
pub use theme::{theme_css, Theme};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot generate the highlight CSS {theme}: {message}")]
    ThemeCss { theme: &'static str, message: String },
}

/// Renders a whole reply at once; the same document a [`StreamRenderer`] ends with.
pub fn render(markdown: &str) -> Document {
    let mut renderer = StreamRenderer::new();
    renderer.push(markdown);
    renderer.finish()
}

/// Renders a user's question: code (fenced, tagged or unfenced) detected and
/// highlighted as in a reply, the prose shown exactly as typed, not as markdown.
pub fn render_question(text: &str) -> Document {
    let mut renderer = StreamRenderer::for_question();
    renderer.push(text);
    renderer.finish()
}

/// Highlights source code in the named language (fence-style name or alias; unknown means
/// plain text), as a code block.
pub fn highlight_code(language: &str, source: &str) -> desk_protocol::CodeBlock {
    let syntax = syntax::for_info(language);
    highlight::code_block_whole(syntax, source)
}

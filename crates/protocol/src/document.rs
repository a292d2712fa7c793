//! A rendered reply as typed data: blocks and styled spans the UI turns into DOM nodes itself.
//!
//! Model text never crosses to the UI as markup: every string here is text content, and the
//! only attribute-like strings are `Link::href` (already restricted to http, https and mailto by
//! the renderer) and syntax-highlight class names derived from grammar scopes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph { inlines: Vec<Inline> },
    Heading { level: u8, inlines: Vec<Inline> },
    Code(CodeBlock),
    Quote { blocks: Vec<Block> },
    List(List),
    Table(Table),
    Rule,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct List {
    /// The first number of an ordered list; `None` for a bullet list.
    pub start: Option<u64>,
    pub items: Vec<ListItem>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListItem {
    /// `Some` for a task-list item (`- [x] done`), with its checked state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<bool>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub align: Vec<Align>,
    pub header: Vec<Vec<Inline>>,
    pub rows: Vec<Vec<Vec<Inline>>>,
}

/// Where a code block came from: the model does not always fence its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeOrigin {
    /// A ``` or ~~~ fence.
    Fenced,
    /// A markdown indented (4-space) code block.
    Indented,
    /// `[PYTHON] ... [/PYTHON]` style tags from Code Llama's instruction data.
    Tagged,
    /// Code written straight into the prose, recognised by its shape.
    Unfenced,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeBlock {
    /// The grammar's display name ("Python", "Rust"); `None` means plain text.
    pub language: Option<String>,
    pub origin: CodeOrigin,
    /// A file name from the fence (```` ```python main.py ````): an attached file's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The code exactly as the model wrote it, for the copy button.
    pub source: String,
    /// Display lines, highlighted; line endings are not included.
    pub lines: Vec<CodeLine>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeLine {
    pub nodes: Vec<CodeNode>,
}

/// Highlighted code as nested scopes, mirroring syntect's classed HTML so the generated theme
/// CSS (which uses descendant selectors) applies unchanged. Each line reopens the scopes that
/// were open at its start, so lines are independent DOM subtrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CodeNode {
    Text(String),
    Scope { class: String, children: Vec<CodeNode> },
}

/// Emphasis marks on a run of text; flat rather than nested so the UI needs no recursion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    #[serde(default, skip_serializing_if = "is_false")]
    pub strong: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub emphasis: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub strike: bool,
}

impl Marks {
    pub fn is_plain(&self) -> bool {
        *self == Marks::default()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Marks::is_plain")]
        marks: Marks,
    },
    Code {
        text: String,
    },
    /// Only http, https and mailto targets become links; the shell opens them in the browser.
    Link {
        href: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        children: Vec<Inline>,
    },
    /// Never loaded: the UI shows the alt text and the address as text.
    Image {
        alt: String,
        url: String,
    },
    SoftBreak,
    HardBreak,
}

/// The blocks that changed since the UI last looked: replace `blocks[from..]` with `blocks`.
/// Only the end of a streaming document ever changes, so a suffix is always enough.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPatch {
    pub from: usize,
    pub blocks: Vec<Block>,
}

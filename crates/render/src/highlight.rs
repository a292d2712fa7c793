//! Line-by-line syntect highlighting into nested scope nodes, with the parse state kept between
//! lines so a growing code block costs only its new lines.

use std::cell::RefCell;
use std::collections::HashMap;

use desk_protocol::{CodeBlock, CodeLine, CodeNode, CodeOrigin};
use syntect::parsing::{BasicScopeStackOp, ParseState, Scope, ScopeStack, SyntaxReference};

use crate::sanitize::reveal_controls;
use crate::syntax::{self, SYNTAXES};

/// Class prefix for highlight scopes, matching the generated theme CSS.
pub const CLASS_PREFIX: &str = "hl-";

/// Longer lines are shown unhighlighted: some grammars backtrack badly on huge lines and one
/// minified line must not stall the stream.
const MAX_HIGHLIGHT_LINE: usize = 8 * 1024;

#[derive(Clone)]
struct State {
    parse: ParseState,
    stack: ScopeStack,
}

/// Highlights consecutive lines of one code block.
#[derive(Clone)]
pub(crate) struct LineHighlighter {
    /// `None`: plain text, either asked for or after the grammar failed mid-block.
    state: Option<State>,
}

impl LineHighlighter {
    pub(crate) fn new(syntax: Option<&SyntaxReference>) -> Self {
        let state = syntax.map(|s| State { parse: ParseState::new(s), stack: ScopeStack::new() });
        Self { state }
    }

    /// Highlights one line (its `\n`, if any, included) and moves past it.
    pub(crate) fn line(&mut self, line: &str) -> CodeLine {
        let shown = strip_line_end(line);
        let Some(state) = self.state.as_mut() else { return plain_line(shown) };
        if line.len() > MAX_HIGHLIGHT_LINE {
            return plain_line(shown);
        }
        match highlight(state, line, shown.len()) {
            Some(code_line) => code_line,
            None => {
                self.state = None;
                plain_line(shown)
            }
        }
    }
}

fn highlight(state: &mut State, line: &str, shown_len: usize) -> Option<CodeLine> {
    let ops = state.parse.parse_line(line, &SYNTAXES).ok()?;
    let mut tree = Tree::default();
    for scope in state.stack.as_slice() {
        tree.open(*scope);
    }
    let mut pos = 0;
    for (at, op) in &ops {
        let at = (*at).min(line.len());
        if at > pos {
            tree.text(&line[pos.min(shown_len)..at.min(shown_len)]);
            pos = at;
        }
        state
            .stack
            .apply_with_hook(op, |basic, _| match basic {
                BasicScopeStackOp::Push(scope) => tree.open(scope),
                BasicScopeStackOp::Pop => tree.close(),
            })
            .ok()?;
    }
    if pos < shown_len {
        tree.text(&line[pos..shown_len]);
    }
    Some(tree.finish())
}

#[derive(Default)]
struct Tree {
    root: Vec<CodeNode>,
    open: Vec<(String, Vec<CodeNode>)>,
}

impl Tree {
    fn open(&mut self, scope: Scope) {
        self.open.push((class_for(scope), Vec::new()));
    }

    fn close(&mut self) {
        if let Some((class, children)) = self.open.pop() {
            // Scopes that wrapped no text would be empty DOM nodes.
            if !children.is_empty() {
                self.current().push(CodeNode::Scope { class, children });
            }
        }
    }

    fn current(&mut self) -> &mut Vec<CodeNode> {
        match self.open.last_mut() {
            Some((_, children)) => children,
            None => &mut self.root,
        }
    }

    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let text = reveal_controls(text);
        let nodes = self.current();
        if let Some(CodeNode::Text(last)) = nodes.last_mut() {
            last.push_str(&text);
        } else {
            nodes.push(CodeNode::Text(text.into_owned()));
        }
    }

    fn finish(mut self) -> CodeLine {
        while !self.open.is_empty() {
            self.close();
        }
        CodeLine { nodes: self.root }
    }
}

/// `entity.name.function.rust` -> `hl-entity hl-name hl-function hl-rust`, as syntect's
/// `ClassStyle::SpacedPrefixed` writes it. Cached: building the name locks syntect's global
/// scope repository.
fn class_for(scope: Scope) -> String {
    thread_local! {
        static CLASSES: RefCell<HashMap<Scope, String>> = RefCell::new(HashMap::new());
    }
    CLASSES.with(|cache| {
        cache
            .borrow_mut()
            .entry(scope)
            .or_insert_with(|| {
                let name = scope.build_string();
                let mut class = String::with_capacity(name.len() + 16);
                for (i, atom) in name.split('.').enumerate() {
                    if i > 0 {
                        class.push(' ');
                    }
                    class.push_str(CLASS_PREFIX);
                    class.push_str(atom);
                }
                class
            })
            .clone()
    })
}

fn plain_line(shown: &str) -> CodeLine {
    let nodes = if shown.is_empty() {
        Vec::new()
    } else {
        vec![CodeNode::Text(reveal_controls(shown).into_owned())]
    };
    CodeLine { nodes }
}

fn strip_line_end(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Splits text into lines that keep their `\n`; no empty line after a final `\n`.
pub(crate) fn lines_with_ends(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
}

/// Builds one code block in place as its text arrives: complete lines are highlighted once
/// ("committed"), the unfinished rest is re-highlighted from a copy of the state each time.
pub(crate) struct CodeBuilder {
    explicit: Option<&'static SyntaxReference>,
    /// Guess the grammar from the first line when the model named none.
    guess: bool,
    hl: LineHighlighter,
    committed_lines: usize,
    committed_source: usize,
}

impl CodeBuilder {
    pub(crate) fn new(syntax: Option<&'static SyntaxReference>, guess: bool, origin: CodeOrigin) -> (Self, CodeBlock) {
        let block = CodeBlock {
            language: syntax.map(|s| s.name.clone()),
            origin,
            label: None,
            source: String::new(),
            lines: Vec::new(),
        };
        let builder = Self {
            explicit: syntax,
            guess: guess && syntax.is_none(),
            hl: LineHighlighter::new(syntax),
            committed_lines: 0,
            committed_source: 0,
        };
        (builder, block)
    }

    /// Adds a finished line (with its `\n`, or the last line of a block without one).
    pub(crate) fn commit(&mut self, block: &mut CodeBlock, line: &str) {
        self.rollback(block);
        if self.committed_lines == 0 && self.guess {
            let guessed = syntax::for_first_line(line);
            self.hl = LineHighlighter::new(guessed);
            block.language = guessed.map(|s| s.name.clone());
            self.guess = false;
        }
        block.source.push_str(line);
        block.lines.push(self.hl.line(line));
        self.committed_lines += 1;
        self.committed_source = block.source.len();
    }

    /// Shows text that may still change (a partial line, held blank lines) after the
    /// committed lines, replacing whatever the previous call showed.
    ///
    /// Unless `finished`, a last line without its `\n` is shown as plain text: it is redrawn
    /// on every delta, and highlighting it each time would cost a full line's highlighting
    /// per token. It gets its colours when its line ends (or the reply does).
    pub(crate) fn set_tail(&mut self, block: &mut CodeBlock, tail: &str, finished: bool) {
        self.rollback(block);
        if tail.is_empty() {
            return;
        }
        let mut hl = if self.committed_lines == 0 && self.guess {
            let first = lines_with_ends(tail).next().unwrap_or("");
            let guessed = syntax::for_first_line(first);
            block.language = guessed.map(|s| s.name.clone());
            LineHighlighter::new(guessed)
        } else {
            self.hl.clone()
        };
        block.source.push_str(tail);
        block.lines.extend(lines_with_ends(tail).map(|line| {
            if finished || line.ends_with('\n') {
                hl.line(line)
            } else {
                plain_line(strip_line_end(line))
            }
        }));
    }

    /// Bytes of source in committed lines.
    pub(crate) fn committed_len(&self) -> usize {
        self.committed_source
    }

    fn rollback(&mut self, block: &mut CodeBlock) {
        block.lines.truncate(self.committed_lines);
        block.source.truncate(self.committed_source);
        if self.committed_lines == 0 && self.guess {
            block.language = self.explicit.map(|s| s.name.clone());
        }
    }
}

/// Highlights a whole fenced block at once (first-line guess when no language).
pub(crate) fn code_block_whole(syntax: Option<&'static SyntaxReference>, source: &str) -> CodeBlock {
    code_block(syntax, true, CodeOrigin::Fenced, source)
}

/// Highlights a whole code block at once.
pub(crate) fn code_block(syntax: Option<&'static SyntaxReference>, guess: bool, origin: CodeOrigin, source: &str) -> CodeBlock {
    let (mut builder, mut block) = CodeBuilder::new(syntax, guess, origin);
    for line in lines_with_ends(source) {
        builder.commit(&mut block, line);
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &CodeLine) -> String {
        fn walk(nodes: &[CodeNode], out: &mut String) {
            for n in nodes {
                match n {
                    CodeNode::Text(t) => out.push_str(t),
                    CodeNode::Scope { children, .. } => walk(children, out),
                }
            }
        }
        let mut s = String::new();
        walk(&line.nodes, &mut s);
        s
    }

    #[test]
    fn highlighted_lines_keep_their_text_and_use_classes() {
        let rust = syntax::for_info("rust");
        let block = code_block(rust, false, CodeOrigin::Fenced, "fn main() {\r\n    let x = \"<b>\";\n}");
        assert_eq!(block.source, "fn main() {\r\n    let x = \"<b>\";\n}");
        let shown: Vec<_> = block.lines.iter().map(texts).collect();
        assert_eq!(shown, ["fn main() {", "    let x = \"<b>\";", "}"]);
        let json = format!("{:?}", block.lines[0]);
        assert!(json.contains("hl-source hl-rust"), "{json}");
        assert!(json.contains("hl-entity hl-name hl-function"), "{json}");
    }

    #[test]
    fn tail_is_replaced_not_accumulated() {
        let py = syntax::for_info("py");
        let (mut b, mut block) = CodeBuilder::new(py, false, CodeOrigin::Fenced);
        b.commit(&mut block, "x = 1\n");
        b.set_tail(&mut block, "y = \"ab", false);
        assert_eq!(block.lines[1].nodes, [CodeNode::Text("y = \"ab".into())], "unfinished line is plain");
        b.set_tail(&mut block, "y = \"abc\"", true);
        assert_ne!(block.lines[1].nodes, [CodeNode::Text("y = \"abc\"".into())], "finished line is highlighted");
        assert_eq!(block.source, "x = 1\ny = \"abc\"");
        assert_eq!(block.lines.len(), 2);
        b.commit(&mut block, "y = \"abc\"\n");
        assert_eq!(block, code_block(py, false, CodeOrigin::Fenced, "x = 1\ny = \"abc\"\n"));
    }

    #[test]
    fn first_line_guess_applies_when_no_language() {
        let block = code_block(None, true, CodeOrigin::Fenced, "#!/usr/bin/env python3\nprint(1)\n");
        assert_eq!(block.language.as_deref(), Some("Python"));
        let plain = code_block(None, false, CodeOrigin::Fenced, "#!/usr/bin/env python3\n");
        assert_eq!(plain.language, None);
        assert_eq!(plain.lines[0].nodes, [CodeNode::Text("#!/usr/bin/env python3".into())]);
    }

    #[test]
    fn huge_line_is_shown_plain() {
        let long = "a".repeat(MAX_HIGHLIGHT_LINE + 1);
        let block = code_block(syntax::for_info("py"), false, CodeOrigin::Fenced, &long);
        assert_eq!(block.lines[0].nodes, [CodeNode::Text(long)]);
    }
}

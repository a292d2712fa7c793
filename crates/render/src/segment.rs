//! Splitting a reply into top-level segments, one line at a time: markdown runs, fenced code,
//! `[PYTHON]` tagged code and unfenced code.
//!
//! Every decision looks only at the current line and what came before, so a segment that has
//! ended stays ended whatever text follows; that is what lets the streaming renderer render
//! each closed segment exactly once and still match a one-shot render of the whole text.
//!
//! Markdown segments end at a blank line followed by an unindented line that is not a list
//! item: in CommonMark such a line always starts a new top-level block. (Two deliberate
//! departures: reference link definitions apply only within their segment, and an HTML block
//! that spans blank lines is split; HTML is shown as text either way.)

use syntect::parsing::SyntaxReference;

use crate::{syntax, unfenced};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prev {
    /// Start of the segment or a blank line.
    Blank,
    /// A line ending in `:` ("Here is the code:"), which may introduce unfenced code.
    Colon,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeKind {
    Fence { ch: u8, len: usize },
    Tag { close: &'static str },
    Unfenced,
}

/// What a line does to the open segment.
pub(crate) enum Step<'a> {
    /// The line belongs to the open segment.
    Continue,
    /// A blank line in unfenced code: part of the code only if more code follows.
    Hold,
    /// The open segment ends before this line, which opens the next one.
    Open(Opener<'a>),
    /// The line ends the open code block; `code` is the part of it that is still code.
    Close { code: &'a str },
}

pub(crate) enum Opener<'a> {
    Markdown,
    Fence { ch: u8, len: usize, syntax: Option<&'static SyntaxReference>, label: Option<&'a str> },
    /// `rest`: what follows the tag on its line, possibly code and even the closing tag.
    Tag { close: &'static str, syntax: Option<&'static SyntaxReference>, rest: &'a str },
    Unfenced { syntax: Option<&'static SyntaxReference> },
}

pub(crate) fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// A line in a markdown segment.
pub(crate) fn markdown_step(line: &str, prev: Prev, has_content: bool) -> Step<'_> {
    if let Some(opener) = code_opener(line) {
        return Step::Open(opener);
    }
    if prev != Prev::Other {
        if let Some(syntax) = unfenced::starts_code(line) {
            return Step::Open(Opener::Unfenced { syntax });
        }
    }
    let unindented = !line.starts_with([' ', '\t']) && !is_blank(line);
    if prev == Prev::Blank && has_content && unindented && !is_list_item(line) {
        return Step::Open(Opener::Markdown);
    }
    Step::Continue
}

/// A line in a code segment; `held` says blank lines are waiting (unfenced code only).
pub(crate) fn code_step(line: &str, kind: CodeKind, held: bool) -> Step<'_> {
    match kind {
        CodeKind::Fence { ch, len } if is_fence_close(line, ch, len) => Step::Close { code: "" },
        CodeKind::Fence { .. } => Step::Continue,
        CodeKind::Tag { close } => match tag_close(line, close) {
            Some(code) => Step::Close { code },
            None => Step::Continue,
        },
        CodeKind::Unfenced => {
            if is_blank(line) {
                return Step::Hold;
            }
            if let Some(opener) = code_opener(line) {
                return Step::Open(opener);
            }
            let goes_on = if held { unfenced::continues_code(line) } else { !unfenced::is_prose(line) };
            if goes_on {
                Step::Continue
            } else {
                Step::Open(Opener::Markdown)
            }
        }
    }
}

/// How the line after a segment's opener is classified.
pub(crate) fn prev_of(line: &str) -> Prev {
    let t = line.trim_end();
    if t.is_empty() {
        Prev::Blank
    } else if t.ends_with(':') {
        Prev::Colon
    } else {
        Prev::Other
    }
}

fn code_opener(line: &str) -> Option<Opener<'_>> {
    if let Some((ch, len, info)) = fence_open(line) {
        return Some(Opener::Fence { ch, len, syntax: syntax::for_info(info), label: fence_label(info) });
    }
    tag_open(line).map(|(close, syntax, rest)| Opener::Tag { close, syntax, rest })
}

/// The file name after the language in a fence's info string (```` ```python main.py ````,
/// or `title="main.py"`): shown above the block, never used as a path.
fn fence_label(info: &str) -> Option<&str> {
    let rest = info.split_whitespace().skip(1);
    let word = rest
        .map(|w| w.strip_prefix("title=").unwrap_or(w).trim_matches('"'))
        .find(|w| !w.is_empty())?;
    let plausible = word.len() <= 120
        && word.contains('.')
        && word.chars().all(|c| c.is_alphanumeric() || "._-/+@".contains(c));
    plausible.then_some(word)
}

/// Only unindented fences are taken out here; indented ones may belong to a list item and
/// stay with the markdown parser.
fn fence_open(line: &str) -> Option<(u8, usize, &str)> {
    let ch = *line.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = line.bytes().take_while(|&b| b == ch).count();
    let info = line[len..].trim();
    (len >= 3 && !(ch == b'`' && info.contains('`'))).then_some((ch, len, info))
}

fn is_fence_close(line: &str, ch: u8, len: usize) -> bool {
    let indent = line.bytes().take_while(|&b| b == b' ').count();
    if indent > 3 {
        return false;
    }
    let rest = &line[indent..];
    let run = rest.bytes().take_while(|&b| b == ch).count();
    run >= len && rest[run..].trim().is_empty()
}

/// Code Llama's instruction data wrapped code in tags such as `[PYTHON]`; `[TESTS]` held
/// Python asserts.
const TAGS: &[(&str, &str, &str)] = &[
    ("[PYTHON]", "[/PYTHON]", "python"),
    ("[TESTS]", "[/TESTS]", "python"),
    ("[JAVASCRIPT]", "[/JAVASCRIPT]", "js"),
    ("[JAVA]", "[/JAVA]", "java"),
    ("[CPP]", "[/CPP]", "cpp"),
    ("[RUST]", "[/RUST]", "rust"),
    ("[BASH]", "[/BASH]", "bash"),
    ("[SQL]", "[/SQL]", "sql"),
    ("[CODE]", "[/CODE]", ""),
];

fn tag_open(line: &str) -> Option<(&'static str, Option<&'static SyntaxReference>, &str)> {
    TAGS.iter().find_map(|(open, close, lang)| {
        let rest = line.strip_prefix(open)?;
        Some((*close, syntax::for_info(lang), rest))
    })
}

fn tag_close<'a>(line: &'a str, close: &str) -> Option<&'a str> {
    line.trim_end().strip_suffix(close)
}

fn is_list_item(line: &str) -> bool {
    let bytes = line.as_bytes();
    let marker_end = match bytes.first() {
        Some(b'-' | b'*' | b'+') => 1,
        Some(b) if b.is_ascii_digit() => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            match bytes.get(digits) {
                Some(b'.' | b')') if digits <= 9 => digits + 1,
                _ => return false,
            }
        }
        _ => return false,
    };
    matches!(bytes.get(marker_end), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences() {
        assert!(matches!(fence_open("```python\n"), Some((b'`', 3, "python"))));
        assert!(matches!(fence_open("~~~~\n"), Some((b'~', 4, ""))));
        assert!(fence_open("``not a fence\n").is_none());
        assert!(fence_open("```a`b```\n").is_none());
        assert!(fence_open(" ```indented\n").is_none());
        assert!(is_fence_close("```\n", b'`', 3));
        assert!(is_fence_close("  `````  \n", b'`', 3));
        assert!(!is_fence_close("``\n", b'`', 3));
        assert!(!is_fence_close("~~~\n", b'`', 3));
        assert!(!is_fence_close("```rust\n", b'`', 3));
    }

    #[test]
    fn tags() {
        assert!(matches!(tag_open("[PYTHON]\n"), Some(("[/PYTHON]", Some(_), "\n"))));
        assert!(tag_open("[python]\n").is_none());
        assert!(tag_open("[TODO] fix\n").is_none());
        assert_eq!(tag_close("    return x[/PYTHON]\n", "[/PYTHON]"), Some("    return x"));
        assert_eq!(tag_close("[/PYTHON]", "[/PYTHON]"), Some(""));
        assert_eq!(tag_close("x = '[/PYTHON]' + y\n", "[/PYTHON]"), None);
    }

    #[test]
    fn list_items() {
        for yes in ["- a", "* a", "+ a", "1. a", "12) a", "-\n", "3."] {
            assert!(is_list_item(yes), "{yes}");
        }
        for no in ["-a", "1.5 is a number", "2023 was", "**bold**", "a. b"] {
            assert!(!is_list_item(no), "{no}");
        }
    }

    #[test]
    fn markdown_boundaries() {
        assert!(matches!(markdown_step("Next paragraph\n", Prev::Blank, true), Step::Open(Opener::Markdown)));
        assert!(matches!(markdown_step("Next paragraph\n", Prev::Other, true), Step::Continue));
        assert!(matches!(markdown_step("- item\n", Prev::Blank, true), Step::Continue));
        assert!(matches!(markdown_step("    indented\n", Prev::Blank, true), Step::Continue));
        assert!(matches!(markdown_step("def f(x):\n", Prev::Colon, true), Step::Open(Opener::Unfenced { .. })));
        assert!(matches!(markdown_step("def f(x):\n", Prev::Other, true), Step::Continue));
    }
}

//! A file attached to a question: checked, named, and fenced so the model
//! sees it as the user would paste it.

use desk_protocol::Attachment;

use crate::syntax::{self, SYNTAXES};

/// Larger files are refused: a 1 MiB source file is already ~300k tokens,
/// past any Code Llama context.
pub const ATTACH_MAX_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachError {
    #[error("{name} is {size} bytes: files over 1 MiB are not attached (paste the part that matters)")]
    TooBig { name: String, size: u64 },
    #[error("{name} looks like a binary file (it has NUL bytes): only text files can be attached")]
    Binary { name: String },
    #[error("{name} is not UTF-8 text (invalid byte at offset {offset}): only text files can be attached")]
    NotText { name: String, offset: usize },
    #[error("{name} is empty")]
    Empty { name: String },
}

/// The file `name` with contents `bytes` as an attachment, or why not.
pub fn attachment(name: &str, bytes: &[u8]) -> Result<Attachment, AttachError> {
    let name = display_name(name);
    if bytes.len() > ATTACH_MAX_BYTES {
        return Err(AttachError::TooBig { name, size: bytes.len() as u64 });
    }
    if bytes.contains(&0) {
        return Err(AttachError::Binary { name });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| AttachError::NotText { name: name.clone(), offset: e.valid_up_to() })?;
    if text.trim().is_empty() {
        return Err(AttachError::Empty { name });
    }
    let syntax = syntax_for_file(&name);
    let info = syntax.map(fence_word).unwrap_or_else(|| "text".into());
    let fence = "`".repeat(longest_backtick_run(text).max(2) + 1);
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    let label = name.replace(char::is_whitespace, "_");
    Ok(Attachment {
        language: syntax.map(|s| s.name.clone()),
        text: format!("{fence}{info} {label}\n{text}{newline}{fence}\n"),
        lines: text.lines().count(),
        bytes: bytes.len(),
        name,
    })
}

/// The last path component, without control characters (a name from a drop
/// or a dialog is only ever shown, never opened).
fn display_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    // Direction overrides would let `txt.py` display as something else.
    let shown = |c: &char| !c.is_control() && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let clean: String = base.chars().filter(shown).collect();
    if clean.trim().is_empty() {
        "file".into()
    } else {
        clean
    }
}

fn syntax_for_file(name: &str) -> Option<&'static syntect::parsing::SyntaxReference> {
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or(name);
    SYNTAXES
        .find_syntax_by_extension(ext)
        .or_else(|| SYNTAXES.find_syntax_by_extension(&ext.to_ascii_lowercase()))
        .or_else(|| SYNTAXES.find_syntax_by_extension(name))
        .filter(|s| s.name != "Plain Text")
}

/// The fence word the model knows best (`python`, not `py`) when it names the
/// same grammar back; the first extension otherwise.
fn fence_word(syntax: &syntect::parsing::SyntaxReference) -> String {
    let lower = syntax.name.to_ascii_lowercase();
    if !lower.contains(' ') && syntax::for_info(&lower).is_some_and(|s| s.name == syntax.name) {
        return lower;
    }
    syntax.file_extensions.first().cloned().unwrap_or(lower)
}

/// A fence must be longer than any backtick run at the start of a line inside.
fn longest_backtick_run(text: &str) -> usize {
    text.lines().map(|l| l.trim_start().bytes().take_while(|&b| b == b'`').count()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_python_file_is_fenced_with_its_name_and_language() {
        let a = attachment("/home/me/src/main.py", b"def f(x):\n    return x * 2\n").unwrap();
        assert_eq!(a.name, "main.py");
        assert_eq!(a.language.as_deref(), Some("Python"));
        assert_eq!(a.text, "```python main.py\ndef f(x):\n    return x * 2\n```\n");
        assert_eq!((a.lines, a.bytes), (2, 27));
        let doc = crate::render(&a.text);
        let desk_protocol::Block::Code(code) = &doc.blocks[0] else { panic!("{doc:?}") };
        assert_eq!(code.label.as_deref(), Some("main.py"));
        assert_eq!(code.language.as_deref(), Some("Python"));
        assert_eq!(code.source, "def f(x):\n    return x * 2\n");
    }

    #[test]
    fn languages_come_from_the_extension() {
        let lang = |n: &str| attachment(n, b"x\n").unwrap().language;
        assert_eq!(lang("lib.rs").as_deref(), Some("Rust"));
        assert_eq!(lang("App.TSX").as_deref(), Some("TypeScriptReact"));
        assert_eq!(lang("Makefile").as_deref(), Some("Makefile"));
        assert_eq!(lang("notes.unknownext"), None);
        let rs = attachment("lib.rs", b"fn main() {}").unwrap();
        assert_eq!(rs.text, "```rust lib.rs\nfn main() {}\n```\n", "a missing final newline is added before the fence");
    }

    #[test]
    fn a_file_holding_fences_gets_a_longer_fence_and_stays_whole() {
        let text = "# Notes\n```sh\nls\n```\nend\n";
        let a = attachment("README.md", text.as_bytes()).unwrap();
        assert!(a.text.starts_with("````markdown README.md\n"), "{}", a.text);
        let doc = crate::render(&a.text);
        assert_eq!(doc.blocks.len(), 1, "{doc:?}");
        let desk_protocol::Block::Code(code) = &doc.blocks[0] else { panic!() };
        assert_eq!(code.source, text);
    }

    #[test]
    fn binary_huge_non_utf8_and_empty_files_are_refused_with_the_reason() {
        let e = attachment("a.out", b"\x7fELF\x00\x01").unwrap_err().to_string();
        assert!(e.contains("a.out") && e.contains("binary"), "{e}");
        let big = vec![b'a'; ATTACH_MAX_BYTES + 1];
        let e = attachment("big.txt", &big).unwrap_err().to_string();
        assert!(e.contains("1048577 bytes") && e.contains("over 1 MiB"), "{e}");
        let e = attachment("latin1.txt", b"caf\xe9\n").unwrap_err().to_string();
        assert!(e.contains("not UTF-8") && e.contains("offset 3"), "{e}");
        assert!(attachment("e.py", b"  \n").unwrap_err().to_string().contains("empty"));
        assert!(attachment("ok.txt", &vec![b'a'; ATTACH_MAX_BYTES]).is_ok(), "exactly 1 MiB is allowed");
    }

    #[test]
    fn names_are_shown_not_trusted() {
        let a = attachment("..\\evil\u{202e}\n name.py", b"x = 1\n").unwrap();
        assert_eq!(a.name, "evil name.py");
        assert!(a.text.starts_with("```python evil_name.py\n"), "{}", a.text);
    }
}

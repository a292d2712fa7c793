//! Which grammar highlights a code block: fence info strings, their aliases, shebang guesses.

use std::sync::LazyLock;

use syntect::parsing::{SyntaxReference, SyntaxSet};

/// syntect's defaults plus bat's maintained extras (TypeScript, TOML, Dockerfile, Kotlin, Zig…).
/// The "newlines" variant because lines are fed with their `\n`, which some grammars need.
pub(crate) static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// Fence words models use that the grammars' own names and extensions do not cover.
const ALIASES: &[(&str, &str)] = &[
    ("c++", "cpp"),
    ("cxx", "cpp"),
    ("hpp", "cpp"),
    ("py3", "py"),
    ("python3", "py"),
    ("python2", "py"),
    ("shell", "sh"),
    ("console", "sh"),
    ("shellsession", "sh"),
    ("zsh", "sh"),
    ("golang", "go"),
    ("javascript", "js"),
    ("node", "js"),
    ("jsx", "js"),
    ("typescript", "ts"),
    ("kotlin", "kt"),
    ("docker", "Dockerfile"),
    ("dockerfile", "Dockerfile"),
    ("c#", "cs"),
    ("csharp", "cs"),
    ("f#", "fs"),
    ("fsharp", "fs"),
    ("objective-c", "m"),
    ("objc", "m"),
    ("yml", "yaml"),
    ("make", "Makefile"),
    ("makefile", "Makefile"),
    ("cmake", "CMakeLists.txt"),
    ("ps1", "ps1"),
    ("powershell", "ps1"),
    ("vue", "vue"),
    ("asm", "s"),
];

/// Words that explicitly ask for no highlighting.
const PLAIN: &[&str] = &["text", "txt", "plain", "plaintext", "output", "none", "nohighlight"];

/// The grammar for a fence info string (` ```rust title="x" `), or `None` for plain text.
pub(crate) fn for_info(info: &str) -> Option<&'static SyntaxReference> {
    let word = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{' || c == '}')
        .find(|w| !w.is_empty())?
        .trim_start_matches('.');
    let lower = word.to_ascii_lowercase();
    if lower.is_empty() || PLAIN.contains(&lower.as_str()) {
        return None;
    }
    let token = ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map(|(_, target)| *target)
        .unwrap_or(word);
    let set = &*SYNTAXES;
    set.find_syntax_by_token(token)
        .or_else(|| set.find_syntax_by_token(&lower))
        .filter(|s| s.name != "Plain Text")
}

/// A guess from the first line (`#!/usr/bin/env python3`, `<?php`, …) when nothing else says.
pub(crate) fn for_first_line(line: &str) -> Option<&'static SyntaxReference> {
    SYNTAXES.find_syntax_by_first_line(line).filter(|s| s.name != "Plain Text")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(info: &str) -> Option<&'static str> {
        for_info(info).map(|s| s.name.as_str())
    }

    #[test]
    fn aliases_and_names_resolve() {
        assert_eq!(name("py"), Some("Python"));
        assert_eq!(name("python"), Some("Python"));
        assert_eq!(name("Python3"), Some("Python"));
        assert_eq!(name("rs"), Some("Rust"));
        assert_eq!(name("rust ignore"), Some("Rust"));
        assert_eq!(name("c++"), Some("C++"));
        assert_eq!(name("cpp"), Some("C++"));
        assert_eq!(name("sh"), name("bash"));
        assert!(name("sh").is_some());
        assert_eq!(name("js"), Some("JavaScript"));
        assert_eq!(name("ts"), Some("TypeScript"));
        assert_eq!(name("toml"), Some("TOML"));
        assert_eq!(name("dockerfile"), Some("Dockerfile"));
        assert_eq!(name("kotlin"), Some("Kotlin"));
        assert_eq!(name("zig"), Some("Zig"));
        assert_eq!(name("{.python}"), Some("Python"));
    }

    #[test]
    fn unknown_or_plain_is_none() {
        assert_eq!(name(""), None);
        assert_eq!(name("   "), None);
        assert_eq!(name("text"), None);
        assert_eq!(name("no-such-language-xyz"), None);
        assert_eq!(name("\u{202e}evil"), None);
    }

    #[test]
    fn shebang_guess() {
        assert_eq!(for_first_line("#!/usr/bin/env python3\n").map(|s| s.name.as_str()), Some("Python"));
        assert!(for_first_line("#!/bin/bash\n").is_some());
        assert!(for_first_line("hello world\n").is_none());
    }
}

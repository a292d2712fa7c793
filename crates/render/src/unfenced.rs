//! Recognising code the model wrote straight into its prose, by the shape of its lines.
//!
//! Deliberately conservative: a line must look unmistakably like code to open a block
//! (`def f(x):`, `#include <x>`, `fn main() {`), because prose wrongly shown as code is worse
//! than code shown as prose.

use syntect::parsing::SyntaxReference;

use crate::syntax;

/// The grammar suggested by a line that opens unfenced code (`Some(None)`: code, language
/// unknown), or `None` if the line does not look like the start of code.
pub(crate) fn starts_code(line: &str) -> Option<Option<&'static SyntaxReference>> {
    let line = line.trim_end();
    if line.starts_with("#!") {
        return Some(syntax::for_first_line(line));
    }
    let lang = language_of(line)?;
    Some(syntax::for_info(lang))
}

fn language_of(l: &str) -> Option<&'static str> {
    let has = |p: &str| l.starts_with(p);
    let python = (has("def ") || has("async def ")) && l.contains('(') && l.ends_with(':')
        || has("class ") && l.ends_with(':') && !l.contains(". ")
        || has("from ") && l.contains(" import ") && is_dotted_words(l)
        || has("import ") && is_dotted_words(l) && !l.contains(" from ")
        || has("if __name__ ");
    if python {
        return Some("python");
    }
    let cpp = has("#include <") || has("#include \"") || has("#define ") || has("#pragma ")
        || has("using namespace ") || has("template <") || has("template<") || has("int main(")
        || has("std::");
    if cpp {
        return Some("cpp");
    }
    let rust = has("fn ") && (l.contains('(') || l.contains('<'))
        || has("pub fn ") || has("pub struct ") || has("pub enum ") || has("pub trait ") || has("pub(crate) ")
        || has("use ") && l.contains("::") && l.ends_with(';')
        || has("impl ") && l.ends_with('{') || has("impl<")
        || (has("struct ") || has("enum ") || has("trait ")) && l.ends_with('{')
        || has("#[") && l.ends_with(']')
        || has("let mut ");
    if rust {
        return Some("rust");
    }
    let js = has("function ") && l.contains('(')
        || (has("const ") || has("let ") || has("var ")) && l.contains(" = ") && !l.contains(". ")
        || has("console.log(")
        || has("export default ") || has("export function ") || has("export const ")
        || has("import ") && l.contains(" from ") && (l.contains('\'') || l.contains('"'));
    if js {
        return Some("js");
    }
    if has("public class ") || has("public static ") || has("public interface ") || has("package ") && l.ends_with(';') {
        return Some("java");
    }
    if has("package ") && is_dotted_words(l) || has("func ") && l.contains('(') {
        return Some("go");
    }
    let shell = ["pip install ", "pip3 install ", "npm install ", "cargo add ", "cargo install ", "sudo apt", "apt-get install "];
    if shell.iter().any(|p| l.starts_with(p)) {
        return Some("bash");
    }
    if has("SELECT ") || has("CREATE TABLE ") || has("INSERT INTO ") {
        return Some("sql");
    }
    None
}

/// `import os.path`, `from a.b import c, d`: only identifiers, dots, commas, spaces.
fn is_dotted_words(l: &str) -> bool {
    l.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ',' | ' ' | '*'))
        && !l.ends_with('.')
}

/// After blank lines inside unfenced code: does this line carry the code on?
pub(crate) fn continues_code(line: &str) -> bool {
    if is_prose(line) {
        return false;
    }
    if starts_code(line).is_some() || line.starts_with([' ', '\t']) {
        return true;
    }
    let l = line.trim_end();
    const STATEMENTS: &[&str] = &[
        "if ", "for ", "while ", "with ", "try:", "except", "finally:", "else:", "elif ", "return", "raise ",
        "assert ", "print(", "}", ")", "]", "//", "/*", "#", "@",
    ];
    STATEMENTS.iter().any(|s| l.starts_with(s)) || is_call(l) || is_assignment(l)
}

/// `foo(1, 2)`, `obj.run();`
fn is_call(l: &str) -> bool {
    let Some(open) = l.find('(') else { return false };
    open > 0
        && l[..open].chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':'))
        && (l.ends_with(')') || l.ends_with(");"))
}

/// `x = 5`, `self.total += n`, `items[0] = None`
fn is_assignment(l: &str) -> bool {
    let Some(eq) = l.find('=') else { return false };
    let lhs = l[..eq].trim_end_matches(['+', '-', '*', '/', '%', '|', '&', ' ']);
    !lhs.is_empty()
        && !l[eq + 1..].starts_with('=')
        && lhs.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '\'' | '"' | ','))
}

/// A line that reads as a sentence or markdown prose, which ends unfenced code.
pub(crate) fn is_prose(line: &str) -> bool {
    let l = line.trim_end();
    if line.starts_with([' ', '\t']) || l.is_empty() || starts_code(l).is_some() {
        return false;
    }
    let markdown = l.starts_with("- ") || l.starts_with("* ") || l.starts_with("> ") || l.starts_with("**")
        || l.starts_with("## ") || l.starts_with('|') || is_numbered(l);
    let sentence = l.chars().next().is_some_and(|c| c.is_uppercase())
        && l.split_whitespace().count() >= 3
        && !l.ends_with([';', '{', '}', '(', ',', '\\'])
        && !l.contains(" = ");
    markdown || sentence
}

fn is_numbered(l: &str) -> bool {
    let digits = l.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && l[digits..].starts_with(". ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(line: &str) -> Option<&'static str> {
        starts_code(line).flatten().map(|s| s.name.as_str())
    }

    #[test]
    fn recognises_code_starts() {
        assert_eq!(lang("def reverse(s):\n"), Some("Python"));
        assert_eq!(lang("import numpy as np"), Some("Python"));
        assert_eq!(lang("from collections import Counter"), Some("Python"));
        assert_eq!(lang("#include <iostream>"), Some("C++"));
        assert_eq!(lang("fn main() {"), Some("Rust"));
        assert_eq!(lang("use std::collections::HashMap;"), Some("Rust"));
        assert_eq!(lang("function add(a, b) {"), Some("JavaScript"));
        assert!(lang("#!/bin/bash").is_some());
    }

    #[test]
    fn prose_is_not_code() {
        for line in [
            "Here is a function that reverses a string:",
            "import the module first, then call it.",
            "The class is defined below.",
            "Let me explain how this works.",
            "# Explanation",
            "from here on, things get interesting",
        ] {
            assert!(starts_code(line).is_none(), "{line}");
        }
        assert!(is_prose("This function returns the reversed string."));
        assert!(is_prose("1. First, install the package"));
        assert!(!is_prose("    return s[::-1]"));
        assert!(!is_prose("print(reverse(\"hello\"))"));
    }

    #[test]
    fn continuation_after_blank_lines() {
        assert!(continues_code("    return x"));
        assert!(continues_code("print(reverse(\"hello\"))"));
        assert!(continues_code("result = add(1, 2)"));
        assert!(continues_code("if __name__ == \"__main__\":"));
        assert!(continues_code("}"));
        assert!(!continues_code("This prints the reversed string."));
        assert!(!continues_code("Output:"));
        assert!(!continues_code("a == b"));
    }
}

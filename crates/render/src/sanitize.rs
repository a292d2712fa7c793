//! The two places model text could turn active or deceptive: link targets and invisible
//! direction controls.

use std::borrow::Cow;

/// The link target if it may be a clickable link, else `None` (the link becomes plain text).
///
/// Only http, https and mailto pass. Whitespace and control characters anywhere are refused
/// rather than cleaned, because browsers strip them (`java\tscript:` runs as `javascript:`).
pub fn safe_href(dest: &str) -> Option<&str> {
    if dest.chars().any(|c| c.is_whitespace() || c.is_control() || is_direction_control(c)) {
        return None;
    }
    let lower = dest.get(..8).unwrap_or(dest).to_ascii_lowercase();
    let prefix = ["http://", "https://", "mailto:"].into_iter().find(|p| lower.starts_with(p))?;
    // "http://" or "mailto:" alone would be a dead link; keep them as text.
    (dest.len() > prefix.len()).then_some(dest)
}

/// Unicode direction controls make text display in an order other than the one it is stored
/// in ("Trojan Source"): code that reads safely but runs differently. Show them as visible
/// markers instead of obeying them. Copy keeps the exact source; only display changes.
pub fn reveal_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_direction_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_direction_control(c) {
            out.push_str(&format!("[U+{:04X}]", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_schemes_pass() {
        assert_eq!(safe_href("https://example.com/a?b=c"), Some("https://example.com/a?b=c"));
        assert_eq!(safe_href("HTTP://EXAMPLE.COM"), Some("HTTP://EXAMPLE.COM"));
        assert_eq!(safe_href("mailto:a@b.c"), Some("mailto:a@b.c"));
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "/relative/path",
            "#fragment",
            "//evil.example/x",
            "https:",
            "http://",
            "mailto:",
            "https://a b",
            "",
        ] {
            assert_eq!(safe_href(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn direction_controls_become_visible() {
        assert_eq!(reveal_controls("plain"), "plain");
        assert_eq!(reveal_controls("a\u{202E}b\u{2066}c"), "a[U+202E]b[U+2066]c");
        assert!(matches!(reveal_controls("héllo 👋"), Cow::Borrowed(_)));
    }
}

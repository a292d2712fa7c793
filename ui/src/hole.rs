//! Where the Fill pane's hole is: at the `<FILL>` marker, or else at the caret.
//! Pure, tested natively.

use desk_protocol::{split_at_marker, FILL_MARKER};

/// Split `code` into (prefix, suffix) around the hole. `caret` is the
/// textarea's `selectionStart` (UTF-16 units, as the DOM counts), `None`
/// when the user has not placed the caret since the text last changed wholesale.
pub fn split(code: &str, caret: Option<usize>) -> Result<(String, String), String> {
    if code.trim().is_empty() {
        return Err(format!("Paste some code first, with {FILL_MARKER} where the missing part goes"));
    }
    if code.contains(FILL_MARKER) {
        return split_at_marker(code)
            .map(|(p, s)| (p.to_string(), s.to_string()))
            .ok_or_else(|| format!("Put exactly one {FILL_MARKER} marker in the code; it has {}", code.matches(FILL_MARKER).count()));
    }
    let caret = caret.ok_or_else(|| format!("Mark the hole: type {FILL_MARKER} where the code should go, or click there"))?;
    let at = byte_offset(code, caret);
    Ok((code[..at].to_string(), code[at..].to_string()))
}

/// The byte index of the `utf16`-th UTF-16 unit, clamped to the text.
fn byte_offset(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_wins_over_the_caret() {
        assert_eq!(split("def f(x):\n    <FILL>\n", Some(0)), Ok(("def f(x):\n    ".into(), "\n".into())));
        assert!(split("a<FILL>b<FILL>", None).is_err_and(|e| e.contains("exactly one")));
    }

    #[test]
    fn without_a_marker_the_caret_is_the_hole() {
        assert_eq!(split("ab", Some(1)), Ok(("a".into(), "b".into())));
        // "é" and "😀" are 1 and 2 UTF-16 units but 2 and 4 bytes.
        assert_eq!(split("é😀x", Some(3)), Ok(("é😀".into(), "x".into())));
        assert_eq!(split("ab", Some(99)), Ok(("ab".into(), String::new())));
        assert!(split("ab", None).is_err_and(|e| e.contains("Mark the hole")));
        assert!(split("  \n", Some(0)).is_err_and(|e| e.contains("Paste some code")));
    }
}

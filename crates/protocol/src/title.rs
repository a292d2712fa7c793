//! Titles made from the first question (the store's, and the sidebar's
//! while a new chat's first reply streams).

const MAX_CHARS: usize = 60;

/// A short, single-line title: the first line of prose with words in it
/// (the first line of code when there is no prose, as for a bare paste or an
/// attached file with no question), markdown markers skipped, whitespace
/// collapsed, cut at a word.
pub fn auto_title(question: &str) -> String {
    // The open fence: its character and length (a longer fence may hold a shorter one).
    let mut fence: Option<(char, usize)> = None;
    let (mut prose, mut code) = (None, None);
    for l in question.lines().map(str::trim) {
        let run = |c: char| l.chars().take_while(|&x| x == c).count();
        let marker = ['`', '~'].into_iter().map(|c| (c, run(c))).find(|&(_, n)| n >= 3);
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some((c, n)), Some((mc, mn))) if c == mc && mn >= n && l.chars().all(|x| x == c) => fence = None,
            _ => {
                let text = l.trim_start_matches(['#', '>', '-', '*', ' ']).trim();
                if text.chars().any(char::is_alphanumeric) {
                    if fence.is_some() {
                        code.get_or_insert(text);
                    } else {
                        prose = Some(text);
                        break;
                    }
                }
            }
        }
    }
    let line = prose.or(code).unwrap_or("");
    let words: Vec<&str> = line.split_whitespace().collect();
    let flat = words.join(" ");
    if flat.chars().count() <= MAX_CHARS {
        return flat;
    }
    let mut out = String::new();
    for word in &words {
        let extra = usize::from(!out.is_empty()) + word.chars().count();
        if out.chars().count() + extra > MAX_CHARS - 1 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        // One enormous word (a hash, a minified line): cut it mid-word.
        out = flat.chars().take(MAX_CHARS - 1).collect();
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::auto_title;

    #[test]
    fn short_single_line_titles() {
        assert_eq!(
            auto_title("What does this do?\n```rust\nfn main() {}\n```"),
            "What does this do?"
        );
        assert_eq!(
            auto_title("```\nlet x = 1;\n```\n  explain   this\tplease"),
            "explain this please"
        );
        // An attached file, then the question: the question names the chat.
        assert_eq!(
            auto_title("````python area.py\ndef area(w, h):\n```\n````\nWhat does area.py print?"),
            "What does area.py print?"
        );
        assert_eq!(auto_title("```python\ndef area(w, h):\n```"), "def area(w, h):");
        assert_eq!(auto_title("## Why   is\tit slow"), "Why is it slow");
        assert_eq!(auto_title("   \n\n"), "");
        let long = "Write a Python function that reverses a string and explain how slicing works in detail";
        let t = auto_title(long);
        assert!(t.chars().count() <= 60, "{t}");
        assert!(t.ends_with('…'));
        assert!(long.starts_with(t.trim_end_matches('…')));
        let blob = "x".repeat(500);
        assert_eq!(auto_title(&blob).chars().count(), 60);
    }
}

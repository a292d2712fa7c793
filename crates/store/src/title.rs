//! Titles made from the first question.

const MAX_CHARS: usize = 60;

/// A short, single-line title: the first line with words in it, code fences
/// and markdown markers skipped, whitespace collapsed, cut at a word.
pub fn auto_title(question: &str) -> String {
    let line = question
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.starts_with("```") && !l.starts_with("~~~"))
        .map(|l| l.trim_start_matches(['#', '>', '-', '*', ' ']).trim())
        .find(|l| l.chars().any(char::is_alphanumeric))
        .unwrap_or("");
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
            "let x = 1;"
        );
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

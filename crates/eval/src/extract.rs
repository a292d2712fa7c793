//! Turning a model's output into the program that HumanEval's `check` runs against.

use serde::{Deserialize, Serialize};

use crate::infill::{mask_line, program_from_infill};
use crate::problems::Problem;

/// How the model was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A base or Python model continued the prompt text.
    Completion,
    /// An instruct model answered [`instruct_request`] in markdown.
    Instruct,
    /// A fill-in-the-middle model filled the line [`mask_line`] hid.
    Infill,
}

/// HumanEval's stop sequences: a new top-level statement ends the function body.
pub const STOP_SEQUENCES: [&str; 5] = ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"];

/// The user message that asks an instruct model for `problem`.
pub fn instruct_request(problem: &Problem) -> String {
    let prompt = problem.prompt.trim_start_matches('\n');
    let newline = if prompt.ends_with('\n') { "" } else { "\n" };
    format!(
        "Complete the following Python function. Reply with the complete function in one \
         ```python code block.\n\n```python\n{prompt}{newline}```"
    )
}

/// The program to test; `None` only in infill mode, for a problem with no
/// line worth hiding.
pub fn build_program(problem: &Problem, mode: Mode, output: &str) -> Option<String> {
    match mode {
        Mode::Completion => Some(program_from_completion(problem, output)),
        Mode::Instruct => Some(program_from_reply(problem, output)),
        Mode::Infill => mask_line(problem).map(|case| program_from_infill(&case, output)),
    }
}

/// The completion up to its first top-level stop sequence.
pub fn truncate_completion(completion: &str) -> &str {
    // Prompts end with a newline, so the completion's first line starts a line
    // too: a leading "def " is already top level.
    let padded = format!("\n{completion}");
    let cut = STOP_SEQUENCES
        .iter()
        .filter_map(|stop| padded.find(stop))
        .min();
    match cut {
        Some(at) => &completion[..at.saturating_sub(1)],
        None => completion,
    }
}

pub fn program_from_completion(problem: &Problem, completion: &str) -> String {
    format!("{}{}", problem.prompt, truncate_completion(completion))
}

pub fn program_from_reply(problem: &Problem, reply: &str) -> String {
    let code = dedent(code_from_reply(reply));
    let code = cut_main_guard(&code);
    let def = format!("def {}(", problem.entry_point);
    if code.lines().any(|line| line.starts_with(&def)) {
        // The reply's own function replaces the prompt's; the prompt's
        // imports and helpers (e.g. is_palindrome for make_palindrome) stay.
        let preamble = prompt_preamble(problem);
        let sep = if preamble.is_empty() || preamble.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        format!("{preamble}{sep}{code}")
    } else {
        format!("{}{}", problem.prompt, as_body(code))
    }
}

/// The first Python code block of a markdown reply (```python, ``` or Code Llama's
/// [PYTHON] tags); the whole reply when it has none. An unclosed block, as left
/// by a reply cut at its token limit, runs to the end.
pub fn code_from_reply(reply: &str) -> &str {
    let fenced = first_python_fence(reply);
    let tagged = reply.find("[PYTHON]").map(|at| {
        let start = at + "[PYTHON]".len();
        let end = reply[start..]
            .find("[/PYTHON]")
            .map_or(reply.len(), |e| start + e);
        (at, &reply[start..end])
    });
    match (fenced, tagged) {
        (Some(f), Some(t)) => {
            if f.0 < t.0 {
                f.1
            } else {
                t.1
            }
        }
        (Some((_, code)), None) | (None, Some((_, code))) => code,
        (None, None) => reply,
    }
}

fn first_python_fence(reply: &str) -> Option<(usize, &str)> {
    let mut offset = 0;
    // The open block's fence offset, where its code starts, and whether it is Python.
    let mut open: Option<(usize, usize, bool)> = None;
    for line in reply.split_inclusive('\n') {
        let trimmed = line.trim();
        match open {
            Some((fence, start, python)) if trimmed.starts_with("```") => {
                if python {
                    return Some((fence, &reply[start..offset]));
                }
                open = None;
            }
            Some(_) => {}
            None => {
                if let Some(lang) = trimmed.strip_prefix("```") {
                    let lang = lang.trim().to_ascii_lowercase();
                    let python = matches!(lang.as_str(), "" | "python" | "py" | "python3");
                    open = Some((offset, offset + line.len(), python));
                }
            }
        }
        offset += line.len();
    }
    match open {
        Some((fence, start, true)) => Some((fence, &reply[start..])),
        _ => None,
    }
}

/// The prompt without its entry point's definition: imports and helper functions.
pub fn prompt_preamble(problem: &Problem) -> &str {
    let def = format!("def {}(", problem.entry_point);
    let mut offset = 0;
    for line in problem.prompt.split_inclusive('\n') {
        if line.starts_with(&def) {
            return &problem.prompt[..offset];
        }
        offset += line.len();
    }
    // No recognisable definition: fall back to the import lines alone.
    let imports_end = problem
        .prompt
        .split_inclusive('\n')
        .take_while(|l| {
            let t = l.trim();
            t.is_empty() || t.starts_with("import ") || t.starts_with("from ") || t.starts_with('#')
        })
        .map(str::len)
        .sum();
    &problem.prompt[..imports_end]
}

/// A script's `if __name__ == "__main__":` block would run before the tests
/// (and may wait on stdin), so the code stops where it starts.
fn cut_main_guard(code: &str) -> &str {
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        if line.starts_with("if __name__") {
            return &code[..offset];
        }
        offset += line.len();
    }
    code
}

/// A body written from column 0 is moved under the prompt's `def`.
fn as_body(code: &str) -> String {
    let first = code.lines().find(|l| !l.trim().is_empty());
    match first {
        Some(line) if !line.starts_with([' ', '\t']) => code
            .split_inclusive('\n')
            .map(|l| {
                if l.trim().is_empty() {
                    l.to_string()
                } else {
                    format!("    {l}")
                }
            })
            .collect(),
        _ => code.to_string(),
    }
}

/// Removes the indentation every non-blank line shares (a block nested in a
/// markdown list is indented as a whole).
fn dedent(code: &str) -> String {
    let indent = code
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    if indent == 0 {
        return code.to_string();
    }
    code.split_inclusive('\n')
        .map(|l| {
            if l.trim().is_empty() {
                if l.ends_with('\n') {
                    "\n"
                } else {
                    ""
                }
            } else {
                // Every non-blank line starts with `indent` ASCII whitespace bytes.
                l.get(indent..).unwrap_or(l)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> Problem {
        Problem {
            task_id: "T/0".into(),
            prompt: "from typing import List\n\n\ndef helper(x):\n    return x\n\n\ndef total(xs: List[int]) -> int:\n    \"\"\" Sum. \"\"\"\n".into(),
            canonical_solution: "    return sum(xs)\n".into(),
            test: String::new(),
            entry_point: "total".into(),
        }
    }

    #[test]
    fn completion_stops_at_top_level_only() {
        let c = "    if xs:\n        print(xs)\n    return sum(xs)\n\n\ndef other():\n    pass\n";
        assert_eq!(
            truncate_completion(c),
            "    if xs:\n        print(xs)\n    return sum(xs)\n\n"
        );
        for stop in [
            "class A:",
            "if __name__ == '__main__':",
            "print(total([1]))",
            "# tests",
        ] {
            let c = format!("    return sum(xs)\n{stop}\n");
            assert_eq!(truncate_completion(&c), "    return sum(xs)", "{stop}");
        }
        assert_eq!(
            truncate_completion("    # comment\n    return 1\n"),
            "    # comment\n    return 1\n"
        );
        assert_eq!(truncate_completion("def f(): pass"), "");
        let p = problem();
        assert_eq!(
            program_from_completion(&p, "    return sum(xs)\n#x"),
            format!("{}    return sum(xs)", p.prompt)
        );
    }

    #[test]
    fn fenced_block_with_full_function() {
        let reply = "Here you go:\n\n```python\nfrom typing import List\n\ndef total(xs):\n    return sum(xs)\n\nif __name__ == \"__main__\":\n    print(total(input()))\n```\nThis works.\n```python\nother()\n```";
        let program = program_from_reply(&problem(), reply);
        assert_eq!(
            program,
            "from typing import List\n\n\ndef helper(x):\n    return x\n\n\nfrom typing import List\n\ndef total(xs):\n    return sum(xs)\n\n"
        );
    }

    #[test]
    fn bare_fence_and_other_languages() {
        let reply = "```bash\npip install x\n```\n```\ndef total(xs):\n    return 0\n```";
        assert_eq!(code_from_reply(reply), "def total(xs):\n    return 0\n");
        assert_eq!(code_from_reply("```py\nx = 1\n"), "x = 1\n");
    }

    #[test]
    fn code_llama_python_tags() {
        let reply = " [PYTHON]\ndef total(xs):\n    return sum(xs)\n[/PYTHON]\n[TESTS]\nassert total([]) == 1\n[/TESTS]";
        assert_eq!(
            code_from_reply(reply),
            "\ndef total(xs):\n    return sum(xs)\n"
        );
        let program = program_from_reply(&problem(), reply);
        assert!(program.ends_with("def total(xs):\n    return sum(xs)\n"));
        assert!(!program.contains("TESTS"));
        // Whichever block comes first wins.
        let both = "```python\na = 1\n```\n[PYTHON]\nb = 2\n[/PYTHON]";
        assert_eq!(code_from_reply(both), "a = 1\n");
    }

    #[test]
    fn body_only_replies_continue_the_prompt() {
        let p = problem();
        let indented = "```python\n    return sum(xs)\n```";
        assert_eq!(
            program_from_reply(&p, indented),
            format!("{}    return sum(xs)\n", p.prompt)
        );
        let flat = "```python\nif not xs:\n    return 0\n\nreturn sum(xs)\n```";
        assert_eq!(
            program_from_reply(&p, flat),
            format!(
                "{}    if not xs:\n        return 0\n\n    return sum(xs)\n",
                p.prompt
            )
        );
    }

    #[test]
    fn no_block_uses_whole_reply_and_dedents() {
        let p = problem();
        let reply = "    def total(xs):\n        return sum(xs)\n";
        assert!(program_from_reply(&p, reply).ends_with("\ndef total(xs):\n    return sum(xs)\n"));
    }

    #[test]
    fn preamble_keeps_imports_and_helpers() {
        let p = problem();
        assert_eq!(
            prompt_preamble(&p),
            "from typing import List\n\n\ndef helper(x):\n    return x\n\n\n"
        );
        let odd = Problem {
            prompt: "import math\n\n    def total(xs):\n".into(),
            ..p
        };
        assert_eq!(prompt_preamble(&odd), "import math\n\n");
    }

    #[test]
    fn request_embeds_the_prompt() {
        let req = instruct_request(&problem());
        assert!(req.starts_with("Complete the following Python function."));
        assert!(req.ends_with("\"\"\" Sum. \"\"\"\n```"));
        assert!(req.contains("```python\nfrom typing import List\n"));
    }

    #[test]
    fn build_program_dispatches() {
        let p = problem();
        let completion = build_program(&p, Mode::Completion, "    return 1\n").unwrap();
        assert_eq!(completion, format!("{}    return 1\n", p.prompt));
        let reply = "```python\ndef total(xs):\n    return 1\n```";
        assert!(build_program(&p, Mode::Instruct, reply)
            .unwrap()
            .ends_with("def total(xs):\n    return 1\n"));
        let infill = build_program(&p, Mode::Infill, "return 2").unwrap();
        assert_eq!(infill, format!("{}    return 2\n", p.prompt));
        let empty = Problem {
            canonical_solution: "    pass\n".into(),
            ..p
        };
        assert_eq!(build_program(&empty, Mode::Infill, "x"), None);
    }
}

//! Single-line infilling checks: hide one line of the canonical solution and
//! ask a fill-in-the-middle model for it.

use serde::{Deserialize, Serialize};

use crate::problems::Problem;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfillCase {
    pub task_id: String,
    /// Everything before the hidden code, ending with the hidden line's
    /// indentation, as an editor cursor would sit.
    pub prefix: String,
    /// Everything after the hidden line, starting with its newline.
    pub suffix: String,
    /// The hidden line without its indentation or newline.
    pub expected: String,
}

/// Lines too short to say anything about the model.
const TRIVIAL: [&str; 7] = [
    "else:", "try:", "finally:", "pass", "continue", "break", "return",
];

/// Hides the middle line of the canonical solution that is neither blank, a
/// comment, nor a bare keyword; the choice depends on the problem alone.
pub fn mask_line(problem: &Problem) -> Option<InfillCase> {
    let lines: Vec<&str> = problem.canonical_solution.split_inclusive('\n').collect();
    let candidates: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.trim();
            !code.is_empty() && !code.starts_with('#') && !TRIVIAL.contains(&code)
        })
        .map(|(i, _)| i)
        .collect();
    let masked = *candidates.get(candidates.len() / 2)?;
    let line = lines[masked];
    let body = line.trim_end_matches(['\n', '\r']);
    let code = body.trim_start();
    let indent = &body[..body.len() - code.len()];
    let newline = &line[body.len()..];
    Some(InfillCase {
        task_id: problem.task_id.clone(),
        prefix: format!("{}{}{indent}", problem.prompt, lines[..masked].concat()),
        suffix: format!("{newline}{}", lines[masked + 1..].concat()),
        expected: code.to_string(),
    })
}

/// The program with `filled` in place of the hidden line. Only the fill's
/// first line counts: this is a single-line check, and models tend to keep
/// writing past the hole.
pub fn program_from_infill(case: &InfillCase, filled: &str) -> String {
    let line = filled
        .split('\n')
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    format!("{}{}{}", case.prefix, line.trim_start(), case.suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(solution: &str) -> Problem {
        Problem {
            task_id: "T/1".into(),
            prompt: "def f(xs):\n    \"\"\"doc\"\"\"\n".into(),
            canonical_solution: solution.into(),
            test: String::new(),
            entry_point: "f".into(),
        }
    }

    #[test]
    fn masks_the_middle_meaningful_line() {
        let p = problem("    # sum them\n    total = 0\n\n    for x in xs:\n        total += x\n    else:\n        pass\n    return total\n");
        let case = mask_line(&p).unwrap();
        // Candidates: total = 0, for .., total += x, return total -> index 2.
        assert_eq!(case.expected, "total += x");
        assert!(case.prefix.ends_with("    for x in xs:\n        "));
        assert!(case.prefix.starts_with(&p.prompt));
        assert_eq!(case.suffix, "\n    else:\n        pass\n    return total\n");
        assert_eq!(mask_line(&p), Some(case));
    }

    #[test]
    fn expected_fill_rebuilds_the_solution() {
        let p = problem("    a = 1\n    b = 2\n    return a + b");
        let case = mask_line(&p).unwrap();
        assert_eq!(case.expected, "b = 2");
        let program = program_from_infill(&case, &case.expected);
        assert_eq!(program, format!("{}{}", p.prompt, p.canonical_solution));
        let last = mask_line(&problem("    return 1")).unwrap();
        assert_eq!(
            (last.expected.as_str(), last.suffix.as_str()),
            ("return 1", "")
        );
    }

    #[test]
    fn fill_is_cut_at_its_first_newline() {
        let p = problem("    a = 1\n    b = 2\n    return a + b\n");
        let case = mask_line(&p).unwrap();
        let program = program_from_infill(&case, "  b = 3\r\n    return 99\n");
        assert_eq!(
            program,
            format!("{}    a = 1\n    b = 3\n    return a + b\n", p.prompt)
        );
    }

    #[test]
    fn nothing_to_mask() {
        assert_eq!(
            mask_line(&problem("    # only a comment\n\n    pass\n")),
            None
        );
    }
}

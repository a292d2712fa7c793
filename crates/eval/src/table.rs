//! A plain-text rendering of a [`Report`] for terminals.

use std::fmt::Write;

use crate::report::{ProblemResult, Report};
use crate::sandbox::Outcome;

const NOTE_CHARS: usize = 60;

pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    let mode = serde_json::to_value(report.mode)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "model: {}  mode: {mode}  samples/problem: {}  problems: {}",
        report.model, report.n_samples, report.problems
    );
    let _ = write!(
        out,
        "pass@1: {:.1}%  solved: {}/{}",
        report.pass_at_1 * 100.0,
        report.passed,
        report.problems
    );
    if let Some(p) = report.pass_at_k {
        let _ = write!(out, "  pass@{}: {:.1}%", report.k, p * 100.0);
    }
    out.push_str("\n\n");
    let width = report
        .per_problem
        .iter()
        .map(|p| p.task_id.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "{:<width$}  {:>7}  {:>8}  {:>7}  note",
        "task", "passed", "test s", "tokens"
    );
    for problem in &report.per_problem {
        let row = format!(
            "{:<width$}  {:>7}  {:>8.2}  {:>7}  {}",
            problem.task_id,
            format!("{}/{}", problem.passed_count, problem.samples),
            mean_seconds(problem),
            mean_tokens(problem).map_or_else(|| "-".to_string(), |t| format!("{t:.0}")),
            note(problem)
        );
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

fn mean_seconds(problem: &ProblemResult) -> f64 {
    let n = problem.durations_ms.len().max(1) as f64;
    problem.durations_ms.iter().sum::<u64>() as f64 / 1000.0 / n
}

fn mean_tokens(problem: &ProblemResult) -> Option<f64> {
    let known: Vec<u64> = problem.tokens_generated.iter().flatten().copied().collect();
    (!known.is_empty()).then(|| known.iter().sum::<u64>() as f64 / known.len() as f64)
}

/// The first sample that did not pass, in a few words.
fn note(problem: &ProblemResult) -> String {
    let text = match problem.outcomes.iter().find(|o| !o.passed()) {
        None | Some(Outcome::Passed) => return String::new(),
        Some(Outcome::TimedOut) => "timed out".to_string(),
        Some(Outcome::Failed { reason }) => format!("failed: {}", last_line(reason)),
        Some(Outcome::Blocked { reason }) => {
            format!(
                "blocked: {}",
                last_line(reason).trim_start_matches("desk-sandbox: blocked ")
            )
        }
    };
    if text.chars().count() > NOTE_CHARS {
        let cut: String = text.chars().take(NOTE_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Mode;
    use crate::report::{summarise, RunInfo};
    use crate::sandbox::RunResult;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn renders_summary_and_rows() {
        let mut a = ProblemResult::new("HumanEval/0");
        a.push(
            RunResult {
                outcome: Outcome::Passed,
                duration: Duration::from_millis(50),
            },
            Some(80),
        );
        let mut b = ProblemResult::new("HumanEval/1");
        let reason = "Traceback (most recent call last):\n  File \"x\"\nAssertionError".to_string();
        b.push(
            RunResult {
                outcome: Outcome::Failed { reason },
                duration: Duration::from_millis(30),
            },
            None,
        );
        let mut c = ProblemResult::new("HumanEval/2");
        let reason = format!("desk-sandbox: blocked socket.connect {}", "x".repeat(100));
        c.push(
            RunResult {
                outcome: Outcome::Blocked { reason },
                duration: Duration::from_millis(30),
            },
            None,
        );
        let info = RunInfo {
            model: "codellama-7b-instruct.Q4_K_M.gguf".into(),
            mode: Mode::Instruct,
            n_samples: 1,
            k: 1,
            started: UNIX_EPOCH,
            finished: UNIX_EPOCH,
        };
        let table = render_table(&summarise(info, vec![a, b, c]));
        assert!(table.contains("mode: instruct"), "{table}");
        assert!(table.contains("pass@1: 33.3%  solved: 1/3"), "{table}");
        assert!(!table.contains("pass@2"), "{table}");
        assert!(
            table.contains("HumanEval/0      1/1      0.05       80\n"),
            "{table}"
        );
        assert!(
            table.contains("HumanEval/1      0/1      0.03        -  failed: AssertionError\n"),
            "{table}"
        );
        assert!(table.contains("blocked: socket.connect xxx"), "{table}");
        assert!(table.lines().all(|l| l.chars().count() < 120), "{table}");
    }
}

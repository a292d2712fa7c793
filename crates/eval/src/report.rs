//! Results of an evaluation run, serialisable as JSON.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::extract::Mode;
use crate::passk::mean_pass_at_k;
use crate::sandbox::{Outcome, RunResult};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemResult {
    pub task_id: String,
    pub samples: usize,
    pub passed_count: usize,
    /// One entry per sample, in sample order, as are the two lists below.
    pub outcomes: Vec<Outcome>,
    /// Time the test run took (not the generation).
    pub durations_ms: Vec<u64>,
    /// As reported by the generator; `None` where it did not say.
    pub tokens_generated: Vec<Option<u64>>,
}

impl ProblemResult {
    pub fn new(task_id: impl Into<String>) -> Self {
        ProblemResult {
            task_id: task_id.into(),
            samples: 0,
            passed_count: 0,
            outcomes: Vec::new(),
            durations_ms: Vec::new(),
            tokens_generated: Vec::new(),
        }
    }

    pub fn push(&mut self, run: RunResult, tokens: Option<u64>) {
        self.samples += 1;
        self.passed_count += usize::from(run.outcome.passed());
        self.durations_ms
            .push(u64::try_from(run.duration.as_millis()).unwrap_or(u64::MAX));
        self.outcomes.push(run.outcome);
        self.tokens_generated.push(tokens);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub model: String,
    pub mode: Mode,
    /// Samples asked for per problem.
    pub n_samples: usize,
    pub k: usize,
    pub problems: usize,
    /// Problems with at least one passing sample.
    pub passed: usize,
    pub pass_at_1: f64,
    /// Only when `k > 1` and every problem has at least k samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_at_k: Option<f64>,
    /// Seconds since the Unix epoch.
    pub started: u64,
    pub finished: u64,
    pub per_problem: Vec<ProblemResult>,
}

/// What the caller knows about the run besides its results.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub model: String,
    pub mode: Mode,
    pub n_samples: usize,
    pub k: usize,
    pub started: SystemTime,
    pub finished: SystemTime,
}

pub fn summarise(info: RunInfo, per_problem: Vec<ProblemResult>) -> Report {
    let counts = || per_problem.iter().map(|p| (p.samples, p.passed_count));
    let pass_at_1 = mean_pass_at_k(counts(), 1).unwrap_or(0.0);
    let pass_at_k = if info.k > 1 {
        mean_pass_at_k(counts(), info.k)
    } else {
        None
    };
    Report {
        model: info.model,
        mode: info.mode,
        n_samples: info.n_samples,
        k: info.k,
        problems: per_problem.len(),
        passed: per_problem.iter().filter(|p| p.passed_count > 0).count(),
        pass_at_1,
        pass_at_k,
        started: unix_seconds(info.started),
        finished: unix_seconds(info.finished),
        per_problem,
    }
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn run(outcome: Outcome) -> RunResult {
        RunResult {
            outcome,
            duration: Duration::from_millis(42),
        }
    }

    fn info(n: usize, k: usize) -> RunInfo {
        RunInfo {
            model: "m.gguf".into(),
            mode: Mode::Instruct,
            n_samples: n,
            k,
            started: UNIX_EPOCH + Duration::from_secs(100),
            finished: UNIX_EPOCH + Duration::from_secs(160),
        }
    }

    #[test]
    fn summary_counts_and_estimates() {
        let mut a = ProblemResult::new("T/0");
        a.push(run(Outcome::Passed), Some(10));
        a.push(run(Outcome::TimedOut), None);
        let mut b = ProblemResult::new("T/1");
        b.push(
            run(Outcome::Failed {
                reason: "AssertionError".into(),
            }),
            Some(5),
        );
        b.push(
            run(Outcome::Failed {
                reason: "AssertionError".into(),
            }),
            Some(5),
        );
        assert_eq!((a.samples, a.passed_count, a.durations_ms[0]), (2, 1, 42));

        let report = summarise(info(2, 2), vec![a, b]);
        assert_eq!((report.problems, report.passed), (2, 1));
        assert!((report.pass_at_1 - 0.25).abs() < 1e-12);
        assert_eq!(report.pass_at_k, Some(0.5));
        assert_eq!((report.started, report.finished), (100, 160));

        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains(r#""mode":"instruct""#), "{json}");
        assert!(
            json.contains(r#"{"status":"failed","reason":"AssertionError"}"#),
            "{json}"
        );
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn pass_at_k_needs_k_samples() {
        let mut a = ProblemResult::new("T/0");
        a.push(run(Outcome::Passed), None);
        let report = summarise(info(1, 1), vec![a.clone()]);
        assert_eq!((report.pass_at_1, report.pass_at_k), (1.0, None));
        assert_eq!(summarise(info(1, 5), vec![a]).pass_at_k, None);
        assert_eq!(summarise(info(1, 1), Vec::new()).pass_at_1, 0.0);
    }
}

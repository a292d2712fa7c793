//! A generic evaluation loop: generate, build the program, test it, summarise.
//! The model is the caller's business; this crate never runs one.

use std::fmt::Display;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::extract::{build_program, Mode};
use crate::problems::Problem;
use crate::report::{summarise, ProblemResult, Report, RunInfo};
use crate::sandbox::Sandbox;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalSettings {
    /// Recorded in the report only.
    pub model: String,
    pub mode: Mode,
    /// Samples per problem (n).
    pub n_samples: usize,
    /// The k of pass@k, 1..=n.
    pub k: usize,
}

/// One model output, with the number of tokens it took if the caller knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    pub text: String,
    pub tokens: Option<u64>,
}

impl From<String> for Generation {
    fn from(text: String) -> Self {
        Generation { text, tokens: None }
    }
}

impl From<&str> for Generation {
    fn from(text: &str) -> Self {
        Generation {
            text: text.to_string(),
            tokens: None,
        }
    }
}

/// Asks `generate(problem, sample_index)` for each sample and tests it.
/// `generate` gets the problem alone: it builds its own prompt from the mode
/// (`problem.prompt`, [`crate::instruct_request`], or [`crate::mask_line`]'s
/// prefix and suffix). In infill mode, problems with no line to hide are
/// skipped. `on_problem` sees each problem's results as soon as they exist.
pub fn run_eval<G, E>(
    problems: &[Problem],
    settings: &EvalSettings,
    sandbox: &Sandbox,
    mut generate: impl FnMut(&Problem, usize) -> std::result::Result<G, E>,
    mut on_problem: impl FnMut(&ProblemResult),
) -> Result<Report>
where
    G: Into<Generation>,
    E: Display,
{
    if settings.n_samples == 0 || settings.k == 0 || settings.k > settings.n_samples {
        return Err(Error::Settings(format!(
            "need 1 <= k <= n, got n = {}, k = {}",
            settings.n_samples, settings.k
        )));
    }
    let started = SystemTime::now();
    let mut results = Vec::with_capacity(problems.len());
    for problem in problems {
        if settings.mode == Mode::Infill && crate::infill::mask_line(problem).is_none() {
            continue;
        }
        let mut result = ProblemResult::new(&problem.task_id);
        for sample in 0..settings.n_samples {
            let generation: Generation = generate(problem, sample)
                .map_err(|e| Error::Generate {
                    task_id: problem.task_id.clone(),
                    sample,
                    message: e.to_string(),
                })?
                .into();
            let program =
                build_program(problem, settings.mode, &generation.text).unwrap_or_default();
            let run = sandbox.run(&program, &problem.test, &problem.entry_point)?;
            result.push(run, generation.tokens);
        }
        on_problem(&result);
        results.push(result);
    }
    let info = RunInfo {
        model: settings.model.clone(),
        mode: settings.mode,
        n_samples: settings.n_samples,
        k: settings.k,
        started,
        finished: SystemTime::now(),
    };
    Ok(summarise(info, results))
}

//! The whole pipeline on the real HumanEval data: every canonical solution,
//! presented as a completion, an instruct reply, and a one-line infill, passes.
//! Skipped, with a note, when the data has not been fetched.

use std::path::PathBuf;
use std::time::Duration;

use desk_eval::{
    build_program, instruct_request, mask_line, render_table, run_eval, EvalSettings, Mode,
    Outcome, Problem, Sandbox, SandboxConfig,
};

fn data_path() -> PathBuf {
    if let Some(path) = std::env::var_os("DESK_HUMANEVAL") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home).join(".cache/desk-data/HumanEval.jsonl.gz")
}

fn problems() -> Option<Vec<Problem>> {
    let path = data_path();
    if !path.exists() {
        eprintln!(
            "note: {} missing, HumanEval data tests skipped; fetch it with \
             `bash crates/eval/fetch-humaneval.sh ~/.cache/desk-data` or set DESK_HUMANEVAL",
            path.display()
        );
        return None;
    }
    Some(desk_eval::load(&path).unwrap())
}

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        timeout: Duration::from_secs(20),
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn as_reply(problem: &Problem) -> String {
    format!(
        "Sure:\n\n```python\n{}{}```\n\nIt works because...",
        problem.prompt, problem.canonical_solution
    )
}

#[test]
fn data_loads() {
    let Some(problems) = problems() else { return };
    assert_eq!(problems.len(), 164);
    assert_eq!(problems[0].task_id, "HumanEval/0");
    assert_eq!(problems[163].task_id, "HumanEval/163");
    assert!(problems
        .iter()
        .all(|p| p.prompt.contains(&format!("def {}(", p.entry_point))));
    assert!(problems.iter().all(|p| mask_line(p).is_some()));
    assert!(instruct_request(&problems[0]).contains("def has_close_elements("));
}

#[test]
fn every_canonical_solution_passes_in_every_mode() {
    let Some(problems) = problems() else { return };
    let sandbox = sandbox();
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    let chunk = problems.len().div_ceil(threads);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = problems
            .chunks(chunk)
            .map(|part| {
                let sandbox = &sandbox;
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for p in part {
                        let infill = mask_line(p).unwrap();
                        let outputs = [
                            (Mode::Completion, p.canonical_solution.clone()),
                            (Mode::Instruct, as_reply(p)),
                            (Mode::Infill, infill.expected.clone()),
                        ];
                        for (mode, output) in outputs {
                            let program = build_program(p, mode, &output).unwrap();
                            let run = sandbox.run(&program, &p.test, &p.entry_point).unwrap();
                            if run.outcome != Outcome::Passed {
                                failures.push(format!("{} {mode:?}: {:?}", p.task_id, run.outcome));
                            }
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn wrong_solutions_fail() {
    let Some(problems) = problems() else { return };
    let sandbox = sandbox();
    for p in &problems[..5] {
        let program = build_program(p, Mode::Completion, "    return None\n").unwrap();
        let run = sandbox.run(&program, &p.test, &p.entry_point).unwrap();
        assert!(
            matches!(run.outcome, Outcome::Failed { .. }),
            "{}: {:?}",
            p.task_id,
            run.outcome
        );
    }
}

#[test]
fn driver_reports_pass_at_k() {
    let Some(problems) = problems() else { return };
    let sandbox = sandbox();
    let settings = EvalSettings {
        model: "fake".into(),
        mode: Mode::Instruct,
        n_samples: 2,
        k: 2,
    };
    let mut seen = Vec::new();
    // Sample 0 is right, sample 1 wrong, for every problem.
    let report = run_eval(
        &problems[..4],
        &settings,
        &sandbox,
        |p, sample| -> Result<desk_eval::Generation, String> {
            let text = if sample == 0 {
                as_reply(p)
            } else {
                "```python\n    return None\n```".into()
            };
            Ok(desk_eval::Generation {
                text,
                tokens: Some(7),
            })
        },
        |result| seen.push(result.task_id.clone()),
    )
    .unwrap();
    assert_eq!(
        seen,
        ["HumanEval/0", "HumanEval/1", "HumanEval/2", "HumanEval/3"]
    );
    assert_eq!((report.problems, report.passed), (4, 4));
    assert!((report.pass_at_1 - 0.5).abs() < 1e-12);
    assert_eq!(report.pass_at_k, Some(1.0));
    assert_eq!(report.per_problem[0].tokens_generated, [Some(7), Some(7)]);
    let table = render_table(&report);
    assert!(
        table.contains("pass@1: 50.0%") && table.contains("pass@2: 100.0%"),
        "{table}"
    );

    let err = run_eval(
        &problems[..1],
        &settings,
        &sandbox,
        |_, _| Err::<String, _>("model gone"),
        |_| {},
    );
    assert!(err.unwrap_err().to_string().contains("HumanEval/0"));
}

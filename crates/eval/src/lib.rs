//! HumanEval: problems, sandboxed test runs, pass@k.

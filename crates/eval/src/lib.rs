//! HumanEval: problems, code extraction from model replies, sandboxed test
//! runs, pass@k, and reports. Independent of the engine: the caller supplies
//! the model's outputs.

mod driver;
mod error;
mod extract;
mod infill;
mod passk;
mod problems;
mod report;
mod sandbox;
mod table;

pub use driver::{run_eval, EvalSettings, Generation};
pub use error::{Error, Result};
pub use extract::{
    build_program, code_from_reply, instruct_request, program_from_completion, program_from_reply,
    prompt_preamble, truncate_completion, Mode, STOP_SEQUENCES,
};
pub use infill::{mask_line, program_from_infill, InfillCase};
pub use passk::{mean_pass_at_k, pass_at_k};
pub use problems::{load, Problem};
pub use report::{summarise, ProblemResult, Report, RunInfo};
pub use sandbox::{NetIsolation, Outcome, RunResult, Sandbox, SandboxConfig, ScriptEnd, Stream, OUTPUT_CAP};
pub use table::render_table;

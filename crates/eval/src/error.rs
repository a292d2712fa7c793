use std::io;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "HumanEval data not found at {}; fetch it with `bash crates/eval/fetch-humaneval.sh {}`",
        path.display(),
        path.parent().map(|p| p.display().to_string()).unwrap_or_else(|| ".".into())
    )]
    MissingData { path: PathBuf },

    #[error("reading {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("{}: not a valid gzip file: {source}", path.display())]
    Gzip { path: PathBuf, source: io::Error },

    #[error("{}: line {line}: {message}", path.display())]
    BadLine {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("{}: contains no problems", path.display())]
    NoProblems { path: PathBuf },

    #[error("python interpreter `{python}`: {message}")]
    Python { python: String, message: String },

    #[error("sandbox: {context}: {source}")]
    Sandbox {
        context: &'static str,
        source: io::Error,
    },

    #[error("generating sample {sample} for {task_id}: {message}")]
    Generate {
        task_id: String,
        sample: usize,
        message: String,
    },

    #[error("invalid evaluation settings: {0}")]
    Settings(String),
}

impl Error {
    pub(crate) fn sandbox(context: &'static str) -> impl FnOnce(io::Error) -> Error {
        move |source| Error::Sandbox { context, source }
    }
}

//! The model library in words: catalogue filters, download progress, what to
//! do after a failed download, and which models live in the library folder.
//! Pure, tested natively; the components are in `library.rs` and `models.rs`.

use desk_protocol::{CatalogEntry, Flavour, PullProgress};

use crate::facts;

/// Which catalogue entries are shown; `None` = any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub size_b: Option<u32>,
    pub flavour: Option<Flavour>,
    pub quant: Option<String>,
}

impl Filter {
    /// Instruct at Q4_K_M: the files the app chats with at the smallest
    /// download, three rows instead of 27 in a narrow sidebar.
    pub fn suggested() -> Self {
        Filter { size_b: None, flavour: Some(Flavour::Instruct), quant: Some("Q4_K_M".into()) }
    }

    pub fn matches(&self, e: &CatalogEntry) -> bool {
        self.size_b.is_none_or(|s| s == e.size_b)
            && self.flavour.is_none_or(|f| f == e.flavour)
            && self.quant.as_deref().is_none_or(|q| q == e.quant)
    }
}

/// The distinct values of one field, in catalogue order (smallest model first).
pub fn choices<T: PartialEq>(entries: &[CatalogEntry], field: impl Fn(&CatalogEntry) -> T) -> Vec<T> {
    let mut out = Vec::new();
    for e in entries {
        let v = field(e);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

pub fn flavour_label(f: Flavour) -> &'static str {
    match f {
        Flavour::Base => "Base",
        Flavour::Python => "Python",
        Flavour::Instruct => "Instruct",
    }
}

/// The `<select>` value of a flavour, and back.
pub fn flavour_value(f: Flavour) -> &'static str {
    match f {
        Flavour::Base => "base",
        Flavour::Python => "python",
        Flavour::Instruct => "instruct",
    }
}

pub fn flavour_from(value: &str) -> Option<Flavour> {
    [Flavour::Base, Flavour::Python, Flavour::Instruct].into_iter().find(|f| flavour_value(*f) == value)
}

/// "Code Llama 7B Instruct"
pub fn title(e: &CatalogEntry) -> String {
    format!("Code Llama {}B {}", e.size_b, flavour_label(e.flavour))
}

/// "≈ 3.80 GiB": the model card's size, in the units the picker uses.
pub fn approx_size(e: &CatalogEntry) -> String {
    format!("≈ {}", facts::bytes(e.approx_bytes))
}

/// Whole percent done; 0 until the hub has said how big the file is.
pub fn percent(p: &PullProgress) -> u32 {
    if p.total == 0 {
        return 0;
    }
    ((p.downloaded.min(p.total) as u128 * 100) / p.total as u128) as u32
}

/// "1.20 GiB of 3.80 GiB (31%)", or "Connecting…" before the first report.
pub fn progress_text(p: &PullProgress) -> String {
    if p.total == 0 {
        return "Connecting…".into();
    }
    format!("{} of {} ({}%)", facts::bytes(p.downloaded), facts::bytes(p.total), percent(p))
}

/// What went wrong with a download, judged from the shell's message (the
/// shell sends errors as text), and what the user can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullProblem {
    /// Stopped on request; the partial file is kept.
    Cancelled,
    /// The connection broke; the partial file is kept.
    Interrupted,
    NotFound,
    Network,
    /// Size or checksum did not match; the data was deleted.
    Corrupt,
    NoSpace,
    Busy,
    Other,
}

impl PullProblem {
    pub fn of(error: &str) -> Self {
        let e = error.to_ascii_lowercase();
        let has = |s: &str| e.contains(s);
        if has("download cancelled") {
            PullProblem::Cancelled
        } else if has("resumes it") || has("stopped at") {
            PullProblem::Interrupted
        } else if has("not found on the hub") {
            PullProblem::NotFound
        } else if has("checksum mismatch") || has("size mismatch") {
            PullProblem::Corrupt
        } else if has("not enough disk space") {
            PullProblem::NoSpace
        } else if has("already running") || has("already being downloaded") {
            PullProblem::Busy
        } else if has("network error") || has("answered http") || has("unexpected answer") {
            PullProblem::Network
        } else {
            PullProblem::Other
        }
    }

    /// The next step, in words.
    pub fn advice(self) -> &'static str {
        match self {
            PullProblem::Cancelled => "Cancelled; what was downloaded is kept. Download again to resume.",
            PullProblem::Interrupted => "The connection broke; what was downloaded is kept. Download again to resume.",
            PullProblem::NotFound => "The hub does not have this file. Check the mirror set in DESK_HF_ENDPOINT, or pick another file.",
            PullProblem::Network => "The hub could not be reached. Check the connection (or DESK_HF_ENDPOINT), then Download again.",
            PullProblem::Corrupt => "The file arrived damaged and was deleted. Download again to fetch it afresh.",
            PullProblem::NoSpace => "Free some disk space (remove a model below, for one), then Download again.",
            PullProblem::Busy => "Another download is running. Wait for it to finish, or cancel it.",
            PullProblem::Other => "Download again to retry.",
        }
    }
}

/// Advice for an import that failed, where the message alone may not say it.
pub fn import_advice(path: &str) -> Option<&'static str> {
    // The shell takes the path as typed; no shell expands `~` on the way.
    path.trim().starts_with('~').then_some("Type the full path: ~ is not expanded here.")
}

/// Whether a listed model is in the library folder (downloads and imports)
/// rather than the project's `models/`. The shell lists the project folder
/// by the relative path `models/` and the library under the data folder, so
/// the path says which; removal acts on the library only, so a wrong guess
/// can only produce an error, never delete a project file.
pub fn in_library(path: &str) -> bool {
    let path = path.strip_prefix("./").or_else(|| path.strip_prefix(".\\")).unwrap_or(path);
    !(path.starts_with("models/") || path.starts_with("models\\"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size_b: u32, flavour: Flavour, quant: &str) -> CatalogEntry {
        CatalogEntry {
            name: format!("codellama-{size_b}b:{}", quant.to_ascii_lowercase()),
            repo: "TheBloke/X".into(),
            file: "x.gguf".into(),
            flavour,
            size_b,
            quant: quant.into(),
            approx_bytes: 4_080_000_000,
            infill: size_b < 34 && flavour != Flavour::Python,
            present: false,
        }
    }

    #[test]
    fn filters_narrow_by_size_flavour_and_quant() {
        let all = [entry(7, Flavour::Instruct, "Q4_K_M"), entry(7, Flavour::Python, "Q8_0"), entry(34, Flavour::Instruct, "Q4_K_M")];
        let shown = |f: &Filter| all.iter().filter(|e| f.matches(e)).count();
        assert_eq!(shown(&Filter::default()), 3);
        assert_eq!(shown(&Filter::suggested()), 2);
        assert_eq!(shown(&Filter { size_b: Some(7), ..Filter::default() }), 2);
        assert_eq!(shown(&Filter { size_b: Some(7), flavour: Some(Flavour::Python), quant: Some("Q4_K_M".into()) }), 0);
        assert_eq!(choices(&all, |e| e.size_b), vec![7, 34]);
        assert_eq!(choices(&all, |e| e.quant.clone()), vec!["Q4_K_M".to_string(), "Q8_0".to_string()]);
        for f in [Flavour::Base, Flavour::Python, Flavour::Instruct] {
            assert_eq!(flavour_from(flavour_value(f)), Some(f));
        }
        assert_eq!(flavour_from(""), None);
        assert_eq!(title(&all[0]), "Code Llama 7B Instruct");
        assert_eq!(approx_size(&all[0]), "≈ 3.80 GiB");
    }

    #[test]
    fn progress_reads_in_picker_units() {
        let p = PullProgress { downloaded: 1 << 30, total: 4 << 30 };
        assert_eq!(percent(&p), 25);
        assert_eq!(progress_text(&p), "1.00 GiB of 4.00 GiB (25%)");
        assert_eq!(progress_text(&PullProgress { downloaded: 0, total: 0 }), "Connecting…");
        assert_eq!(percent(&PullProgress { downloaded: 9, total: 4 }), 100);
    }

    #[test]
    fn download_errors_say_what_to_do() {
        let cases = [
            ("download cancelled at 1048576 bytes; the partial file /l/x.gguf.part is kept and running the download again resumes it", PullProblem::Cancelled),
            ("the download of x.gguf stopped at 5 of 9 bytes (reset); the partial file /l/x.part is kept and running the download again resumes it", PullProblem::Interrupted),
            ("not found on the hub: http://h/x", PullProblem::NotFound),
            ("checksum mismatch for x.gguf: expected SHA-256 a, got b; the downloaded data was deleted", PullProblem::Corrupt),
            ("not enough disk space in /l: the download needs 9 more bytes but only 1 are free", PullProblem::NoSpace),
            ("a download is already running; wait for it or cancel it", PullProblem::Busy),
            ("network error for http://h: connection refused", PullProblem::Network),
            ("the hub answered HTTP 500 for http://h", PullProblem::Network),
            ("something else", PullProblem::Other),
        ];
        for (message, want) in cases {
            assert_eq!(PullProblem::of(message), want, "{message}");
        }
        assert!(PullProblem::Interrupted.advice().contains("Download again to resume"));
        assert!(PullProblem::Cancelled.advice().contains("Download again to resume"));
        assert_eq!(import_advice(" ~/Downloads/x.gguf"), Some("Type the full path: ~ is not expanded here."));
        assert_eq!(import_advice("/home/me/x.gguf"), None);
    }

    #[test]
    fn the_project_folder_is_not_the_library() {
        assert!(!in_library("models/a.gguf"));
        assert!(!in_library("./models/a.gguf"));
        assert!(in_library("/home/me/.local/share/codellama-desk/models/a.gguf"));
        assert!(in_library("/tmp/x/data/models/a.gguf"));
        assert!(in_library("data/models/a.gguf"));
    }
}

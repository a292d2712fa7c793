//! Model facts in words: sizes, fit, modes and context limits as the picker,
//! the settings and the mode switch show them. Pure, tested natively.

use desk_protocol::{CodeLlama, FitEstimate, Flavour, ModelFacts};

/// What the main pane does with the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Chat,
    Complete,
    Fill,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Chat, Mode::Complete, Mode::Fill];

    pub fn label(self) -> &'static str {
        match self {
            Mode::Chat => "Chat",
            Mode::Complete => "Complete",
            Mode::Fill => "Fill",
        }
    }

    /// Stable element ids for the mode buttons (the E2E tests use them).
    pub fn id(self) -> &'static str {
        match self {
            Mode::Chat => "mode-chat",
            Mode::Complete => "mode-complete",
            Mode::Fill => "mode-fill",
        }
    }
}

/// Code Llama's long-context fine-tuning reaches about 100k tokens.
pub const CODE_LLAMA_MAX_CONTEXT: usize = 100_000;
/// The sequence length Code Llama was trained on; past it quality is not guaranteed.
pub const TRAINED_CONTEXT: usize = 16_384;
/// Below this a context cannot hold a question and an answer.
pub const MIN_CONTEXT: usize = 256;
pub const LONG_CONTEXT_WARNING: &str = "Code Llama was trained on 16k-token sequences; quality past that is not guaranteed";

const GIB: f64 = (1u64 << 30) as f64;
const MIB: f64 = (1u64 << 20) as f64;

/// "0.56 GiB", or MiB below a tenth of a GiB where GiB would read 0.0.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= GIB / 10.0 {
        format!("{:.2} GiB", n / GIB)
    } else {
        format!("{:.0} MiB", n / MIB)
    }
}

/// "135M params", "6.7B params"; empty when the header has no tensor shapes.
pub fn params(n: u64) -> String {
    match n {
        0 => String::new(),
        n if n >= 1_000_000_000 => format!("{:.1}B params", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.0}M params", n as f64 / 1e6),
        n => format!("{n} params"),
    }
}

/// "needs 0.56 GiB of 22.0 GiB", or "does not fit: needs … of …".
pub fn fit(f: &FitEstimate) -> String {
    let need = bytes(f.total_bytes);
    match (f.available_bytes, f.fits) {
        (Some(a), true) => format!("needs {need} of {}", bytes(a)),
        (Some(a), false) => format!("does not fit: needs {need} of {}", bytes(a)),
        (None, _) => format!("needs {need}"),
    }
}

/// "Code Llama 7B Instruct".
pub fn flavour(c: &CodeLlama) -> String {
    let kind = match c.flavour {
        Flavour::Base => "Base",
        Flavour::Python => "Python",
        Flavour::Instruct => "Instruct",
    };
    match c.size_b {
        Some(n) => format!("Code Llama {n}B {kind}"),
        None => format!("Code Llama {kind}"),
    }
}

pub fn supports(f: &ModelFacts, mode: Mode) -> bool {
    match mode {
        Mode::Chat => f.modes.chat,
        Mode::Complete => f.modes.complete,
        Mode::Fill => f.modes.infill,
    }
}

/// Why `mode` is unavailable with this model; `None` when it is available.
pub fn unavailable(f: &ModelFacts, mode: Mode) -> Option<String> {
    if supports(f, mode) {
        return None;
    }
    let file = &f.file_name;
    Some(match (mode, f.code_llama) {
        (Mode::Chat, _) => format!("{file} is a base model with no chat format: use Complete, or load an Instruct model"),
        (Mode::Complete, _) => format!("{file} cannot continue text"),
        (Mode::Fill, None) => {
            format!("{file} is not Code Llama: only Code Llama 7B and 13B (base or Instruct) were trained to fill in the middle")
        }
        (Mode::Fill, Some(c)) if c.flavour == Flavour::Python => {
            "Code Llama Python was not trained to fill in the middle: use a base or Instruct 7B or 13B".to_string()
        }
        (Mode::Fill, Some(c)) => format!("{} was not trained to fill in the middle: use 7B or 13B", flavour(&c)),
    })
}

/// The largest context the settings allow for this model.
pub fn context_cap(f: &ModelFacts) -> usize {
    if f.code_llama.is_some() {
        CODE_LLAMA_MAX_CONTEXT
    } else {
        own_context(f)
    }
}

/// The context the model runs at unless told otherwise (as the shell decides).
pub fn own_context(f: &ModelFacts) -> usize {
    f.context_length.map_or(4096, |c| c as usize)
}

/// A typed context length, checked against this model's limits.
pub fn parse_context(f: &ModelFacts, typed: &str) -> Result<usize, String> {
    let n: usize = typed.trim().parse().map_err(|_| "Type a whole number of tokens".to_string())?;
    let cap = context_cap(f);
    if n < MIN_CONTEXT {
        Err(format!("At least {MIN_CONTEXT} tokens"))
    } else if n > cap {
        Err(format!("At most {cap} tokens for {}", f.file_name))
    } else {
        Ok(n)
    }
}

pub fn long_context_warning(f: &ModelFacts, n: usize) -> Option<&'static str> {
    (f.code_llama.is_some() && n > TRAINED_CONTEXT).then_some(LONG_CONTEXT_WARNING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_protocol::Modes;

    fn code_llama(flavour: Flavour, size: u32) -> ModelFacts {
        let infill = flavour != Flavour::Python && size <= 13;
        ModelFacts {
            file_name: "codellama.gguf".into(),
            context_length: Some(16384),
            code_llama: Some(CodeLlama { flavour, size_b: Some(size), infill }),
            modes: Modes { chat: flavour == Flavour::Instruct, complete: true, infill },
            ..ModelFacts::default()
        }
    }

    #[test]
    fn sizes_and_fit_read_like_the_picker_shows_them() {
        assert_eq!(bytes(601_295_421), "0.56 GiB");
        assert_eq!(bytes(92 << 20), "92 MiB");
        assert_eq!(params(134_515_008), "135M params");
        assert_eq!(params(6_738_415_616), "6.7B params");
        assert_eq!(params(0), "");
        let mut f = FitEstimate { total_bytes: 601_295_421, available_bytes: Some(22 << 30), fits: true, ..FitEstimate::default() };
        assert_eq!(fit(&f), "needs 0.56 GiB of 22.00 GiB");
        f.fits = false;
        assert!(fit(&f).starts_with("does not fit"));
        f.available_bytes = None;
        assert_eq!(fit(&f), "needs 0.56 GiB");
    }

    #[test]
    fn modes_say_why_they_are_off() {
        let demo = ModelFacts { file_name: "demo.gguf".into(), modes: Modes { chat: true, complete: true, infill: false }, ..ModelFacts::default() };
        assert_eq!(unavailable(&demo, Mode::Chat), None);
        assert!(unavailable(&demo, Mode::Fill).is_some_and(|r| r.contains("not Code Llama")));
        let python = code_llama(Flavour::Python, 7);
        assert!(unavailable(&python, Mode::Fill).is_some_and(|r| r.contains("Python")));
        assert!(unavailable(&python, Mode::Chat).is_some_and(|r| r.contains("base model")));
        let big = code_llama(Flavour::Instruct, 34);
        assert!(unavailable(&big, Mode::Fill).is_some_and(|r| r.contains("Code Llama 34B Instruct")));
        assert_eq!(unavailable(&code_llama(Flavour::Base, 7), Mode::Fill), None);
    }

    #[test]
    fn context_is_capped_per_model_and_warned_past_16k() {
        let cl = code_llama(Flavour::Instruct, 7);
        assert_eq!(context_cap(&cl), 100_000);
        assert_eq!(parse_context(&cl, "32768"), Ok(32768));
        assert!(parse_context(&cl, "200000").is_err());
        assert!(parse_context(&cl, "12").is_err());
        assert!(parse_context(&cl, "lots").is_err());
        assert_eq!(long_context_warning(&cl, 16384), None);
        assert_eq!(long_context_warning(&cl, 16385), Some(LONG_CONTEXT_WARNING));
        let demo = ModelFacts { file_name: "demo.gguf".into(), context_length: Some(8192), ..ModelFacts::default() };
        assert_eq!(context_cap(&demo), 8192);
        assert!(parse_context(&demo, "8193").is_err());
        assert_eq!(own_context(&ModelFacts::default()), 4096);
    }
}

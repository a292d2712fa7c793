//! The model's text encoder, built from the GGUF header alone (a vocab-only
//! file is enough). mistralrs's own conversion turns SentencePiece BPE files
//! into a Unigram model and gives every byte-level BPE one fixed regex, so
//! every text -> ids path of the engine goes through this instead; mistralrs
//! only decodes what the model generates (the pieces are the same).

use std::path::Path;

use desk_tokenizer::{TokenKind, Tokenizer, Vocab};

use crate::error::EngineError;
use crate::gguf::{self, GgufArray, GgufHeader};

const TOKENS: &str = "tokenizer.ggml.tokens";
const SCORES: &str = "tokenizer.ggml.scores";
const TYPES: &str = "tokenizer.ggml.token_type";
const MERGES: &str = "tokenizer.ggml.merges";

/// Code Llama's infilling pieces and the partial pieces SentencePiece was
/// trained with on the way to them (`▁<SU`, `▁<EOT><EOT>`, ...). Meta's code
/// only ever places them by id; text typed by a person must never become one.
const CODE_LLAMA_INFILL: std::ops::Range<usize> = 32000..32016;

/// The header arrays a tokenizer is built from.
pub const ARRAYS: &[&str] = &[TOKENS, SCORES, TYPES, MERGES];

/// Read the tokenizer of the GGUF at `path` and build its encoder.
pub fn load_tokenizer(path: &Path) -> Result<Tokenizer, EngineError> {
    let header = gguf::read_header_keeping(path, ARRAYS)?;
    tokenizer_from_header(path, &header)
}

pub fn tokenizer_from_header(path: &Path, h: &GgufHeader) -> Result<Tokenizer, EngineError> {
    let shown = path.display().to_string();
    let bad = |reason: String| EngineError::Corrupt { path: shown.clone(), reason };
    let model = h.get_str("tokenizer.ggml.model").ok_or_else(|| bad("it has no tokenizer (tokenizer.ggml.model)".into()))?;
    let tokens = match h.arrays.get(TOKENS) {
        Some(GgufArray::Strings(t)) if !t.is_empty() => t.clone(),
        _ => return Err(bad("it has no token list (tokenizer.ggml.tokens)".into())),
    };
    let scores = match h.arrays.get(SCORES) {
        Some(GgufArray::Floats(s)) => s.clone(),
        Some(GgufArray::Ints(s)) => s.iter().map(|&v| v as f32).collect(),
        _ => Vec::new(),
    };
    let mut kinds: Vec<TokenKind> = match h.arrays.get(TYPES) {
        Some(GgufArray::Ints(t)) => t.iter().map(|&v| TokenKind::from_gguf(v)).collect(),
        _ => Vec::new(),
    };
    if is_code_llama(model, &tokens) && kinds.len() == tokens.len() {
        for kind in &mut kinds[CODE_LLAMA_INFILL] {
            *kind = TokenKind::Control;
        }
    }
    let merges = match h.arrays.get(MERGES) {
        Some(GgufArray::Strings(m)) => m.clone(),
        _ => Vec::new(),
    };
    let vocab = Vocab {
        model: model.to_string(),
        pre: h.get_str("tokenizer.ggml.pre").map(str::to_string),
        tokens,
        scores,
        kinds,
        merges,
        add_space_prefix: h.get_bool("tokenizer.ggml.add_space_prefix"),
        unknown_id: h.get_u64("tokenizer.ggml.unknown_token_id").map(|u| u as u32),
    };
    Tokenizer::new(vocab).map_err(|e| bad(format!("its tokenizer cannot be used: {e}")))
}

fn is_code_llama(model: &str, tokens: &[String]) -> bool {
    model == "llama" && tokens.len() == CODE_LLAMA_INFILL.end && tokens.get(32007).is_some_and(|t| t == "▁<PRE>")
}

/// The id a prefill-only request ends on (see `warm`): one no prompt can
/// continue with. Plain text never encodes to an unknown or control piece, so
/// the first such piece that is not BOS/EOS and that the chat template does not
/// spell will do. `None` when the vocabulary has none.
pub fn prefill_sentinel(tok: &Tokenizer, template: Option<&str>, reserved: &[u32]) -> Option<u32> {
    use desk_tokenizer::TokenKind;
    let usable = |id: u32, kinds: &[TokenKind]| {
        tok.kind(id).is_some_and(|k| kinds.contains(&k))
            && !reserved.contains(&id)
            && tok.piece(id).is_some_and(|p| !p.is_empty() && !template.is_some_and(|t| t.contains(p)))
    };
    let ids = 0..tok.vocab_size() as u32;
    ids.clone()
        .find(|&id| usable(id, &[TokenKind::Unknown]))
        .or_else(|| ids.clone().find(|&id| usable(id, &[TokenKind::Unused])))
        .or_else(|| ids.rev().find(|&id| usable(id, &[TokenKind::Control])))
}

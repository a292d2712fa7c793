//! Text -> token ids exactly as the model was trained, from a GGUF file's
//! vocabulary metadata alone (no weights, no tokenizer.json).
//!
//! Two models cover the GGUFs people run: `llama` (SentencePiece BPE: Llama,
//! Code Llama, Mistral) and `gpt2` (byte-level BPE with a pre-tokenizer named
//! by `tokenizer.ggml.pre`). Plain text never yields control or unknown
//! pieces: `</s>` or `▁<PRE>` typed by a person stays text. Only
//! [`Tokenizer::encode_with_special`], for text the engine itself wrote (a
//! rendered chat template), turns control-token spellings into their ids.

mod bpe;
mod merge;
mod pretok;
mod special;
mod spm;

use rustc_hash::FxHashMap;

pub use pretok::KNOWN as KNOWN_PRE_TOKENIZERS;

/// GPT-2's printable stand-in for each byte, the alphabet of byte-level vocabularies.
pub fn byte_level_alphabet() -> [char; 256] {
    bpe::byte_chars()
}

/// `tokenizer.ggml.token_type`, as llama.cpp's converter writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Normal,
    Unknown,
    Control,
    UserDefined,
    Unused,
    Byte,
}

impl TokenKind {
    /// GGUF's numbering; a missing or unknown value is a normal piece.
    pub fn from_gguf(v: i64) -> Self {
        match v {
            2 => Self::Unknown,
            3 => Self::Control,
            4 => Self::UserDefined,
            5 => Self::Unused,
            6 => Self::Byte,
            _ => Self::Normal,
        }
    }
}

/// The tokenizer part of a GGUF header.
#[derive(Debug, Clone, Default)]
pub struct Vocab {
    /// `tokenizer.ggml.model`: `llama` or `gpt2`.
    pub model: String,
    /// `tokenizer.ggml.pre`.
    pub pre: Option<String>,
    pub tokens: Vec<String>,
    pub scores: Vec<f32>,
    pub kinds: Vec<TokenKind>,
    pub merges: Vec<String>,
    /// `tokenizer.ggml.add_space_prefix` (SentencePiece's dummy prefix; default on).
    pub add_space_prefix: Option<bool>,
    pub unknown_id: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("tokenizer model `{0}` is not supported (supported: llama, gpt2)")]
    UnknownModel(String),
    #[error("pre-tokenizer `{0}` is not one this build knows ({known}); its splitting rules would only be guessed", known = pretok::KNOWN.join(", "))]
    UnknownPreTokenizer(String),
    #[error("the vocabulary is malformed: {0}")]
    Malformed(String),
}

enum Model {
    Spm { spm: spm::Spm, dummy_prefix: bool },
    Bpe { bpe: bpe::Bpe, pre: pretok::PreTokenizer, chars: Box<[char; 256]> },
}

/// An encoder built once per model; cheap to share.
pub struct Tokenizer {
    model: Model,
    pieces: Vec<String>,
    kinds: Vec<TokenKind>,
    /// User-defined pieces, matched whole in any text (as llama.cpp and HF do).
    user: special::Matcher,
    /// User-defined and control pieces, for text the engine wrote.
    with_control: special::Matcher,
    byte_of: FxHashMap<u32, u8>,
}

impl Tokenizer {
    pub fn new(vocab: Vocab) -> Result<Self, TokenizerError> {
        let n = vocab.tokens.len();
        if n == 0 {
            return Err(TokenizerError::Malformed("it has no tokens".into()));
        }
        let mut kinds = vocab.kinds;
        if kinds.is_empty() {
            kinds = vec![TokenKind::Normal; n];
        }
        if kinds.len() != n {
            return Err(TokenizerError::Malformed(format!("{} tokens but {} token types", n, kinds.len())));
        }
        let text_piece = |i: usize| matches!(kinds[i], TokenKind::Normal | TokenKind::UserDefined);
        let mut byte_of = FxHashMap::default();
        let model = match vocab.model.as_str() {
            "llama" => {
                let scores = if vocab.scores.is_empty() { vec![0.0; n] } else { vocab.scores };
                if scores.len() != n {
                    return Err(TokenizerError::Malformed(format!("{} tokens but {} scores", n, scores.len())));
                }
                let mut bytes = [merge::NONE; 256];
                for (i, p) in vocab.tokens.iter().enumerate() {
                    if let Some(b) = byte_piece(p).filter(|_| kinds[i] == TokenKind::Byte) {
                        if bytes[b as usize] == merge::NONE {
                            bytes[b as usize] = i as u32;
                        }
                        byte_of.insert(i as u32, b);
                    }
                }
                let unknown = vocab.unknown_id.filter(|&u| (u as usize) < n);
                let spm = spm::Spm::new(&vocab.tokens, &scores, text_piece, bytes, unknown);
                Model::Spm { spm, dummy_prefix: vocab.add_space_prefix.unwrap_or(true) }
            }
            "gpt2" => {
                let pre = pretok::PreTokenizer::by_name(vocab.pre.as_deref())?;
                let bpe = bpe::Bpe::new(&vocab.tokens, &vocab.merges, text_piece, pre.whole_words)?;
                Model::Bpe { bpe, pre, chars: Box::new(bpe::byte_chars()) }
            }
            other => return Err(TokenizerError::UnknownModel(other.to_string())),
        };
        let pick = |want: &dyn Fn(TokenKind) -> bool| {
            special::Matcher::new(vocab.tokens.iter().enumerate().filter(|(i, _)| want(kinds[*i])).map(|(i, t)| (t.as_str(), i as u32)))
        };
        let user = pick(&|k| k == TokenKind::UserDefined);
        let with_control = pick(&|k| matches!(k, TokenKind::UserDefined | TokenKind::Control));
        Ok(Self { model, pieces: vocab.tokens, kinds, user, with_control, byte_of })
    }

    /// Text typed by a person, as the model's own tokenizer encodes it with no
    /// BOS/EOS: SentencePiece's dummy prefix included.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.encode_parts(text, &self.user, true)
    }

    /// Meta's `encode_infill`: as [`encode`](Self::encode) without the
    /// implicit leading space, for the text after a hole.
    pub fn encode_infill(&self, text: &str) -> Vec<u32> {
        self.encode_parts(text, &self.user, false)
    }

    /// Text the engine wrote, where a control token's spelling means the token.
    pub fn encode_with_special(&self, text: &str) -> Vec<u32> {
        self.encode_parts(text, &self.with_control, true)
    }

    /// As [`encode_with_special`](Self::encode_with_special), except that a
    /// control spelling overlapping one of `protected` (byte ranges holding a
    /// person's message) stays text.
    pub fn encode_with_special_except(&self, text: &str, protected: &[std::ops::Range<usize>]) -> Vec<u32> {
        let parts = self.with_control.split_except(text, protected);
        self.encode_split(parts, true)
    }

    /// Whether `text` spells a control or user-defined piece.
    pub fn has_special(&self, text: &str) -> bool {
        self.with_control.finds(text)
    }

    fn encode_parts(&self, text: &str, specials: &special::Matcher, first_prefix: bool) -> Vec<u32> {
        self.encode_split(specials.split(text), first_prefix)
    }

    fn encode_split(&self, parts: Vec<special::Part<'_>>, first_prefix: bool) -> Vec<u32> {
        let text_len: usize = parts.iter().map(|p| if let special::Part::Text(t) = p { t.len() } else { 0 }).sum();
        let mut out = Vec::with_capacity(text_len / 3 + 1);
        // SentencePiece (and llama.cpp) restart the dummy prefix after a special piece.
        let mut prefix = first_prefix;
        for part in parts {
            match part {
                special::Part::Text(t) => {
                    self.encode_raw(t, prefix, &mut out);
                    prefix = false;
                }
                special::Part::Token(id) => {
                    out.push(id);
                    prefix = true;
                }
            }
        }
        out
    }

    fn encode_raw(&self, text: &str, dummy_prefix: bool, out: &mut Vec<u32>) {
        match &self.model {
            Model::Spm { spm, dummy_prefix: file_prefix } => {
                if !text.is_empty() {
                    spm.encode(text, dummy_prefix && *file_prefix, out);
                }
            }
            Model::Bpe { bpe, pre, chars } => {
                // Code repeats its words: each distinct one is merged once per call.
                let mut seen: FxHashMap<&str, (usize, usize)> = FxHashMap::default();
                for (start, end) in pre.split(text) {
                    let word = &text[start..end];
                    match seen.get(word) {
                        Some(&(from, to)) => out.extend_from_within(from..to),
                        None => {
                            let from = out.len();
                            bpe.encode_word(word, chars, out);
                            seen.insert(word, (from, out.len()));
                        }
                    }
                }
            }
        }
    }

    /// Whether the SentencePiece dummy prefix is in force (for decoding).
    pub fn adds_space_prefix(&self) -> bool {
        matches!(self.model, Model::Spm { dummy_prefix: true, .. })
    }

    /// The bytes `ids` stand for; control pieces contribute nothing. With
    /// `strip_prefix`, the leading space SentencePiece added is removed.
    pub fn decode(&self, ids: &[u32], strip_prefix: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for &id in ids {
            self.decode_piece(id, &mut out);
        }
        if strip_prefix && self.adds_space_prefix() && out.first() == Some(&b' ') {
            out.remove(0);
        }
        out
    }

    fn decode_piece(&self, id: u32, out: &mut Vec<u8>) {
        let Some(piece) = self.pieces.get(id as usize) else { return };
        match (&self.model, self.kinds[id as usize]) {
            (_, TokenKind::Control | TokenKind::Unknown | TokenKind::Unused) => {}
            (Model::Spm { .. }, TokenKind::Byte) => out.extend(self.byte_of.get(&id)),
            (Model::Spm { .. }, _) => out.extend_from_slice(piece.replace(spm::SPACE, " ").as_bytes()),
            // Added pieces are stored as the text itself, not in GPT-2's byte alphabet.
            (Model::Bpe { .. }, TokenKind::UserDefined) => out.extend_from_slice(piece.as_bytes()),
            (Model::Bpe { .. }, _) => {
                for c in piece.chars() {
                    match bpe::char_byte(c) {
                        Some(b) => out.push(b),
                        None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                    }
                }
            }
        }
    }

    pub fn piece(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(String::as_str)
    }

    pub fn kind(&self, id: u32) -> Option<TokenKind> {
        self.kinds.get(id as usize).copied()
    }

    /// The id of a piece by its exact spelling, whatever its kind.
    pub fn id_of(&self, piece: &str) -> Option<u32> {
        self.pieces.iter().position(|p| p == piece).map(|i| i as u32)
    }

    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }
}

/// `<0x41>` -> 0x41.
fn byte_piece(p: &str) -> Option<u8> {
    let hex = p.strip_prefix("<0x")?.strip_suffix('>')?;
    (hex.len() == 2).then(|| u8::from_str_radix(hex, 16).ok()).flatten()
}

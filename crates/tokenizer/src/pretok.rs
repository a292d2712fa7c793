//! Byte-level BPE models are trained on text pre-split by a regex, and each
//! family uses its own. `tokenizer.ggml.pre` names it; the expressions are
//! llama.cpp's (`llama-vocab.cpp`), applied in order, each splitting every
//! fragment the previous one left, matches and the text between them alike.
//!
//! The one look-around they use, `\s+(?!\S)`, would need a backtracking
//! engine (4-8x slower on a 100 KB paste); it is run as `\s+` on the regex
//! crate's DFA and the lookahead applied afterwards: a whitespace run that a
//! non-space follows gives up its last character to what comes next.

use regex::Regex;

use crate::TokenizerError;

const GPT2: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
const LLAMA3: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const QWEN2: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const DIGIT: &str = r"\p{N}";
// Written with \x{..} escapes: several of these characters change under Unicode
// normalization (U+1FD3 becomes U+0390), which would silently edit the ranges.
const DEEPSEEK_LLM: &[&str] = &[
    r"[\r\n]",
    r"\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293}\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+",
    r"\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+",
    r"\s+$",
    r"[\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+",
    r"\p{N}+",
];
const DEEPSEEK_CODER: &[&str] = &[
    r"[\r\n]",
    r"\s?\p{L}+",
    r"\s?\p{P}+",
    r"[\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+",
    r"\p{N}",
];

/// How a `tokenizer.ggml.pre` name pre-tokenizes, and whether whole words are
/// looked up before merging (Llama 3's tokenizers do).
pub(crate) struct PreTokenizer {
    stages: Vec<Stage>,
    pub whole_words: bool,
}

struct Stage {
    regex: Regex,
    /// The expression had `\s+(?!\S)`, now plain `\s+` (see the module notes).
    lookahead: bool,
    /// It also has `\s*[\r\n]+`, which takes every space run holding a newline first.
    newline_first: bool,
}

const LOOKAHEAD: &str = r"\s+(?!\S)";

impl Stage {
    fn new(expr: &str) -> Result<Self, TokenizerError> {
        let lookahead = expr.contains(LOOKAHEAD);
        let plain = expr.replace(&format!("{LOOKAHEAD}|\\s+"), r"\s+").replace(LOOKAHEAD, r"\s+");
        let regex = Regex::new(&plain).map_err(|e| TokenizerError::Malformed(format!("pre-tokenizer expression: {e}")))?;
        Ok(Self { regex, lookahead, newline_first: expr.contains(r"\s*[\r\n]+") })
    }

    /// Matches of this stage in `fragment`, as byte ranges.
    fn matches(&self, fragment: &str, out: &mut Vec<(usize, usize)>) {
        let mut at = 0;
        while let Some(m) = self.regex.find_at(fragment, at) {
            let (start, mut end) = (m.start(), m.end());
            if self.lookahead && end < fragment.len() {
                let run = m.as_str();
                // Only the `\s+` alternative yields an all-space match (newline-free when
                // `\s*[\r\n]+` comes before it).
                let from_plain_run = !(self.newline_first && run.contains(['\r', '\n']));
                if from_plain_run && run.chars().all(char::is_whitespace) {
                    if let Some((last, _)) = run.char_indices().nth(1).and(run.char_indices().last()) {
                        end = start + last;
                    }
                }
            }
            if end > start {
                out.push((start, end));
                at = end;
            } else {
                // An empty match: step over one character so the search moves on.
                at = fragment[end..].chars().next().map_or(fragment.len(), |c| end + c.len_utf8());
            }
            if at >= fragment.len() {
                break;
            }
        }
    }
}

/// The names llama.cpp maps to each expression set that is implemented here.
pub const KNOWN: &[&str] = &[
    "default", "gpt-2", "phi-2", "mpt", "olmo", "jais", "starcoder", "smollm", "refact", "command-r", "codeshell", "exaone",
    "minerva-7b", "llama3", "llama-v3", "llama-bpe", "falcon3", "qwen2", "stablelm2", "deepseek-r1-qwen", "deepseek-llm",
    "deepseek-coder",
];

impl PreTokenizer {
    /// `None` is a file written before pre-tokenizer names existed: llama.cpp
    /// runs those with GPT-2's expression, and so do we.
    pub fn by_name(name: Option<&str>) -> Result<Self, TokenizerError> {
        let (exprs, whole_words): (&[&str], bool) = match name.unwrap_or("default") {
            "default" | "gpt-2" | "phi-2" | "mpt" | "olmo" | "jais" => (&[GPT2], false),
            "starcoder" | "smollm" | "refact" | "command-r" | "codeshell" | "exaone" | "minerva-7b" => (&[DIGIT, GPT2], false),
            "llama3" | "llama-v3" | "llama-bpe" | "falcon3" => (&[LLAMA3], true),
            "qwen2" | "stablelm2" | "deepseek-r1-qwen" => (&[QWEN2], false),
            "deepseek-llm" => (DEEPSEEK_LLM, false),
            "deepseek-coder" => (DEEPSEEK_CODER, false),
            other => return Err(TokenizerError::UnknownPreTokenizer(other.to_string())),
        };
        let stages = exprs.iter().map(|e| Stage::new(e)).collect::<Result<_, _>>()?;
        Ok(Self { stages, whole_words })
    }

    /// Split `text` into words: byte ranges that cover it, in order.
    pub fn split(&self, text: &str) -> Vec<(usize, usize)> {
        let mut pieces = vec![(0, text.len())];
        let mut found = Vec::new();
        for stage in &self.stages {
            let mut next = Vec::with_capacity(pieces.len() * 2);
            for &(start, end) in &pieces {
                let fragment = &text[start..end];
                found.clear();
                stage.matches(fragment, &mut found);
                let mut at = 0;
                for &(s, e) in &found {
                    if s > at {
                        next.push((start + at, start + s));
                    }
                    next.push((start + s, start + e));
                    at = e;
                }
                if at < fragment.len() {
                    next.push((start + at, end));
                }
            }
            pieces = next;
        }
        pieces
    }
}

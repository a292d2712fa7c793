//! SentencePiece's BPE model as Llama and Code Llama use it: spaces become
//! `▁`, a `▁` is prepended (the dummy prefix) unless the caller says not to,
//! whitespace is never collapsed, the adjacent pair whose joined piece has the
//! highest score merges first, and what no piece covers falls back to
//! `<0xNN>` byte pieces.

use rustc_hash::FxHashMap;

use crate::merge::{merge, Symbol, NONE};

pub(crate) const SPACE: char = '▁';

pub(crate) struct Spm {
    /// (left id, right id) -> (score of the joined piece, its id).
    pairs: FxHashMap<(u32, u32), (f32, u32)>,
    /// Single characters that are pieces of their own.
    chars: FxHashMap<char, u32>,
    bytes: [u32; 256],
    unknown: Option<u32>,
    /// No piece has a `▁` right after another character, so no merge can
    /// cross the start of a word and words can be encoded one at a time
    /// (and once each: code repeats its words).
    words: bool,
}

impl Spm {
    /// `text_piece(id)` says which pieces plain text may produce (never
    /// control, unknown or byte pieces: bytes come only from fallback).
    pub fn new(pieces: &[String], scores: &[f32], text_piece: impl Fn(usize) -> bool, bytes: [u32; 256], unknown: Option<u32>) -> Self {
        let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
        ids.reserve(pieces.len());
        for (i, p) in pieces.iter().enumerate() {
            if text_piece(i) {
                // The first of two equal pieces wins, as in SentencePiece's own map.
                ids.entry(p.as_str()).or_insert(i as u32);
            }
        }
        let words = !ids.keys().any(|p| p.trim_start_matches(SPACE).contains(SPACE));
        let mut chars = FxHashMap::default();
        let mut pairs = FxHashMap::default();
        pairs.reserve(pieces.len() * 4);
        for (&piece, &id) in &ids {
            let mut it = piece.chars();
            if let (Some(c), None) = (it.next(), it.next()) {
                chars.insert(c, id);
                continue;
            }
            let score = scores.get(id as usize).copied().unwrap_or(0.0);
            // Every way of cutting the piece in two known pieces is a merge that yields it.
            for (cut, _) in piece.char_indices().skip(1) {
                if let (Some(&l), Some(&r)) = (ids.get(&piece[..cut]), ids.get(&piece[cut..])) {
                    pairs.insert((l, r), (score, id));
                }
            }
        }
        Self { pairs, chars, bytes, unknown, words }
    }

    /// Encode `text` (already split from any special tokens), appending to `out`.
    pub fn encode(&self, text: &str, dummy_prefix: bool, out: &mut Vec<u32>) {
        let mut normalized = String::with_capacity(text.len() + 3);
        if dummy_prefix {
            normalized.push(SPACE);
        }
        normalized.extend(text.chars().map(|c| if c == ' ' { SPACE } else { c }));
        if !self.words {
            self.encode_word(&normalized, out);
            return;
        }
        let mut bounds = Vec::new();
        let mut start = 0;
        let mut prev_space = true;
        for (i, c) in normalized.char_indices() {
            let space = c == SPACE;
            if space && !prev_space && i > start {
                bounds.push((start, i));
                start = i;
            }
            prev_space = space;
        }
        if start < normalized.len() {
            bounds.push((start, normalized.len()));
        }
        let mut seen: FxHashMap<&str, (usize, usize)> = FxHashMap::default();
        for (from, to) in bounds {
            let word = &normalized[from..to];
            match seen.get(word) {
                Some(&(a, b)) => out.extend_from_within(a..b),
                None => {
                    let a = out.len();
                    self.encode_word(word, out);
                    seen.insert(word, (a, out.len()));
                }
            }
        }
    }

    fn encode_word(&self, word: &str, out: &mut Vec<u32>) {
        let symbols = word
            .char_indices()
            .map(|(i, c)| Symbol::new(self.chars.get(&c).copied().unwrap_or(NONE), i, c.len_utf8()))
            .collect();
        for s in merge(symbols, |l, r| self.pairs.get(&(l, r)).copied()) {
            if s.id != NONE {
                out.push(s.id);
                continue;
            }
            for &b in &word.as_bytes()[s.start..s.start + s.len] {
                match self.bytes[b as usize] {
                    NONE => out.extend(self.unknown),
                    id => out.push(id),
                }
            }
        }
    }
}

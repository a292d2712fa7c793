//! GPT-2's byte-level BPE: each pre-tokenized word is turned into bytes, each
//! byte into the printable character GPT-2 assigns it, and the file's merges
//! are applied in rank order.

use rustc_hash::FxHashMap;

use crate::merge::{merge, Symbol, NONE};
use crate::TokenizerError;

pub(crate) struct Bpe {
    /// (left id, right id) -> (-rank, merged id): lower ranks merge first.
    ranks: FxHashMap<(u32, u32), (f32, u32)>,
    /// The id of each byte's own piece.
    byte_ids: [u32; 256],
    /// Whole words looked up before merging (llama.cpp's `ignore_merges`, Llama 3's rule).
    words: Option<FxHashMap<String, u32>>,
}

/// GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the rest to U+0100 and up.
pub(crate) fn byte_chars() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut extra = 0u32;
    for b in 0..256u32 {
        let printable = (0x21..=0x7E).contains(&b) || (0xA1..=0xAC).contains(&b) || (0xAE..=0xFF).contains(&b);
        let c = if printable {
            b
        } else {
            extra += 1;
            255 + extra
        };
        table[b as usize] = char::from_u32(c).unwrap_or('\0');
    }
    table
}

/// The inverse of [`byte_chars`].
pub(crate) fn char_byte(c: char) -> Option<u8> {
    let c = c as u32;
    let printable = (0x21..=0x7E).contains(&c) || (0xA1..=0xAC).contains(&c) || (0xAE..=0xFF).contains(&c);
    if printable {
        return Some(c as u8);
    }
    // The non-printable bytes, in order, became U+0100 and up: 0x00-0x20, 0x7F-0xA0, 0xAD.
    match c.checked_sub(0x100)? {
        n @ 0..=32 => Some(n as u8),
        n @ 33..=66 => Some((0x7F + n - 33) as u8),
        67 => Some(0xAD),
        _ => None,
    }
}

impl Bpe {
    pub fn new(pieces: &[String], merges: &[String], text_piece: impl Fn(usize) -> bool, whole_words: bool) -> Result<Self, TokenizerError> {
        let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
        ids.reserve(pieces.len());
        for (i, p) in pieces.iter().enumerate() {
            if text_piece(i) {
                ids.entry(p.as_str()).or_insert(i as u32);
            }
        }
        let chars = byte_chars();
        let mut byte_ids = [NONE; 256];
        let mut buf = [0u8; 4];
        for (b, c) in chars.iter().enumerate() {
            byte_ids[b] = ids.get(&*c.encode_utf8(&mut buf)).copied().unwrap_or(NONE);
        }
        let mut ranks = FxHashMap::default();
        ranks.reserve(merges.len());
        let mut joined = String::new();
        for (rank, line) in merges.iter().enumerate() {
            let (l, r) = line
                .split_once(' ')
                .ok_or_else(|| TokenizerError::Malformed(format!("merge {rank} ({line:?}) is not two pieces separated by a space")))?;
            joined.clear();
            joined.push_str(l);
            joined.push_str(r);
            if let (Some(&l), Some(&r), Some(&m)) = (ids.get(l), ids.get(r), ids.get(joined.as_str())) {
                // A pair listed twice keeps its first (best) rank.
                ranks.entry((l, r)).or_insert((-(rank as f32), m));
            }
        }
        let words = whole_words.then(|| ids.iter().map(|(k, v)| (k.to_string(), *v)).collect());
        Ok(Self { ranks, byte_ids, words })
    }

    /// Encode one pre-tokenized word, appending to `out`.
    pub fn encode_word(&self, word: &str, chars: &[char; 256], out: &mut Vec<u32>) {
        if let Some(words) = &self.words {
            let mapped: String = word.bytes().map(|b| chars[b as usize]).collect();
            if let Some(&id) = words.get(&mapped) {
                out.push(id);
                return;
            }
        }
        let symbols = word.bytes().enumerate().map(|(i, b)| Symbol::new(self.byte_ids[b as usize], i, 1)).collect();
        // A byte without a piece has nothing to become: llama.cpp drops it too.
        out.extend(merge(symbols, |l, r| self.ranks.get(&(l, r)).copied()).into_iter().map(|s| s.id).filter(|&id| id != NONE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_byte_inverts_byte_chars() {
        for (b, c) in byte_chars().iter().enumerate() {
            assert_eq!(char_byte(*c), Some(b as u8), "{c:?}");
        }
        assert_eq!(char_byte('\u{144}'), None);
    }
}

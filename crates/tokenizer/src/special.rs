//! Whole pieces matched in text before the model splits it: leftmost, then
//! longest, as llama.cpp's partition does.

use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};

pub(crate) enum Part<'a> {
    Text(&'a str),
    Token(u32),
}

pub(crate) struct Matcher {
    automaton: Option<AhoCorasick>,
    ids: Vec<u32>,
}

impl Matcher {
    pub fn new<'a>(pieces: impl Iterator<Item = (&'a str, u32)>) -> Self {
        let (texts, ids): (Vec<&str>, Vec<u32>) = pieces.filter(|(t, _)| !t.is_empty()).unzip();
        let automaton = if texts.is_empty() {
            None
        } else {
            AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&texts).ok()
        };
        Self { automaton, ids }
    }

    pub fn split<'a>(&self, text: &'a str) -> Vec<Part<'a>> {
        self.split_except(text, &[])
    }

    pub fn finds(&self, text: &str) -> bool {
        self.automaton.as_ref().is_some_and(|ac| ac.is_match(text))
    }

    /// Split at matches, skipping those that overlap a protected byte range.
    pub fn split_except<'a>(&self, text: &'a str, protected: &[Range<usize>]) -> Vec<Part<'a>> {
        let Some(ac) = &self.automaton else {
            return vec![Part::Text(text)];
        };
        let mut parts = Vec::new();
        let mut at = 0;
        let overlaps = |s: usize, e: usize| protected.iter().any(|r| s < r.end && r.start < e);
        for m in ac.find_iter(text).filter(|m| !overlaps(m.start(), m.end())) {
            if m.start() > at {
                parts.push(Part::Text(&text[at..m.start()]));
            }
            parts.push(Part::Token(self.ids[m.pattern().as_usize()]));
            at = m.end();
        }
        if at < text.len() || parts.is_empty() {
            parts.push(Part::Text(&text[at..]));
        }
        parts
    }
}

//! The merge loop both BPE flavours share: repeatedly join the adjacent pair
//! with the best priority, ties going to the leftmost pair. A heap with lazy
//! invalidation keeps it O(n log n), so a 100 KB paste that is one long
//! "word" (a minified file, a run of spaces) cannot go quadratic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An id no vocabulary uses: a character that no piece covers.
pub(crate) const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
pub(crate) struct Symbol {
    pub id: u32,
    /// Byte span in the text being encoded, for byte fallback.
    pub start: usize,
    pub len: usize,
    prev: usize,
    next: usize,
}

impl Symbol {
    pub fn new(id: u32, start: usize, len: usize) -> Self {
        Self { id, start, len, prev: usize::MAX, next: usize::MAX }
    }
}

struct Candidate {
    priority: f32,
    left: usize,
    right: usize,
    left_id: u32,
    right_id: u32,
    merged: u32,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    /// Max-heap order: higher priority first, then the smaller left index.
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority.total_cmp(&other.priority).then_with(|| other.left.cmp(&self.left))
    }
}

/// Merge `symbols` in place and return the survivors in order. `pair` says
/// whether two adjacent ids join, into what, and with which priority (higher
/// merges first).
pub(crate) fn merge(mut symbols: Vec<Symbol>, pair: impl Fn(u32, u32) -> Option<(f32, u32)>) -> Vec<Symbol> {
    let n = symbols.len();
    if n < 2 {
        return symbols;
    }
    for (i, s) in symbols.iter_mut().enumerate() {
        s.prev = if i == 0 { usize::MAX } else { i - 1 };
        s.next = if i + 1 == n { usize::MAX } else { i + 1 };
    }
    let mut heap = BinaryHeap::with_capacity(n);
    let push = |heap: &mut BinaryHeap<Candidate>, symbols: &[Symbol], left: usize, right: usize| {
        if left == usize::MAX || right == usize::MAX {
            return;
        }
        let (l, r) = (symbols[left].id, symbols[right].id);
        if l == NONE || r == NONE {
            return;
        }
        if let Some((priority, merged)) = pair(l, r) {
            heap.push(Candidate { priority, left, right, left_id: l, right_id: r, merged });
        }
    };
    for i in 1..n {
        push(&mut heap, &symbols, i - 1, i);
    }
    let mut alive = vec![true; n];
    while let Some(c) = heap.pop() {
        // Stale: one side has merged since this pair was queued.
        if !alive[c.left] || !alive[c.right] || symbols[c.left].next != c.right {
            continue;
        }
        if symbols[c.left].id != c.left_id || symbols[c.right].id != c.right_id {
            continue;
        }
        let right = symbols[c.right];
        let left = &mut symbols[c.left];
        left.id = c.merged;
        left.len += right.len;
        left.next = right.next;
        alive[c.right] = false;
        if right.next != usize::MAX {
            symbols[right.next].prev = c.left;
        }
        let prev = symbols[c.left].prev;
        let next = symbols[c.left].next;
        push(&mut heap, &symbols, prev, c.left);
        push(&mut heap, &symbols, c.left, next);
    }
    symbols.into_iter().zip(alive).filter_map(|(s, a)| a.then_some(s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ids: &[u32], rules: &[((u32, u32), (f32, u32))]) -> Vec<u32> {
        let symbols = ids.iter().enumerate().map(|(i, &id)| Symbol::new(id, i, 1)).collect();
        let out = merge(symbols, |a, b| rules.iter().find(|(p, _)| *p == (a, b)).map(|(_, r)| *r));
        out.into_iter().map(|s| s.id).collect()
    }

    #[test]
    fn ties_go_to_the_leftmost_pair() {
        // "a a a" with one rule a+a -> aa: the left pair merges, the last `a` stays.
        assert_eq!(run(&[1, 1, 1], &[((1, 1), (0.0, 2))]), vec![2, 1]);
        assert_eq!(run(&[1, 1, 1, 1], &[((1, 1), (0.0, 2)), ((2, 2), (-1.0, 3))]), vec![3]);
    }

    #[test]
    fn the_best_priority_wins_wherever_it_is() {
        // b+c beats a+b, so a (bc) then a+bc.
        let rules = [((1, 2), (-5.0, 10)), ((2, 3), (-1.0, 11)), ((1, 11), (-2.0, 12))];
        assert_eq!(run(&[1, 2, 3], &rules), vec![12]);
    }

    #[test]
    fn symbols_without_an_id_never_merge() {
        assert_eq!(run(&[1, NONE, 1], &[((1, 1), (0.0, 2))]), vec![1, NONE, 1]);
    }
}

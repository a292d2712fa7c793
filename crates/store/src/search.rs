//! Full-text search over messages, best matches (bm25) first.

use desk_protocol::{SearchHit, SearchResults, SnippetPart};
use rusqlite::{params, OptionalExtension};

use crate::error::Result;
use crate::open::Store;
use crate::rows::parse_role;

// Private-use characters: they never come out of the tokenizer, so they
// cannot be confused with matched text.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';
const SNIPPET_TOKENS: i64 = 24;

impl Store {
    /// Finds messages containing every word of `query` (plain words, no
    /// query syntax: quotes and operators are searched as text), best first.
    pub fn search(&self, query: &str, offset: u64, limit: u64) -> Result<SearchResults> {
        let Some(fts_query) = to_fts_query(query) else {
            return Ok(SearchResults {
                hits: Vec::new(),
                ranked_newest: None,
            });
        };
        self.search_fts(&fts_query, offset, limit)
            .map_err(|e| self.ctx(e))
    }

    fn search_fts(&self, fts_query: &str, offset: u64, limit: u64) -> Result<SearchResults> {
        // Walking the matches newest first without scoring them is cheap;
        // it finds where the newest `rank_at_most` matches begin, if they do.
        let rank_at_most = i64::try_from(self.options.rank_at_most.max(1)).unwrap_or(i64::MAX);
        let floor: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1
                 ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
            )?
            .query_row(params![fts_query, rank_at_most - 1], |r| r.get(0))
            .optional()?;
        // ORDER BY rank lets FTS5 sort by bm25 itself and compute snippets
        // only for the rows returned.
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.id, m.conversation_id, c.title, m.role,
                    snippet(messages_fts, 0, ?2, ?3, '…', ?4), messages_fts.rank
             FROM messages_fts
             JOIN messages m ON m.id = messages_fts.rowid
             JOIN conversations c ON c.id = m.conversation_id
             WHERE messages_fts MATCH ?1 AND messages_fts.rowid >= ?7
             ORDER BY messages_fts.rank LIMIT ?5 OFFSET ?6",
        )?;
        let rows = stmt.query_map(
            params![
                fts_query,
                OPEN.to_string(),
                CLOSE.to_string(),
                SNIPPET_TOKENS,
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX),
                floor.unwrap_or(i64::MIN),
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, f64>(5)?,
                ))
            },
        )?;
        let mut hits = Vec::new();
        for row in rows {
            let (message_id, conversation_id, conversation_title, role, snippet, rank) = row?;
            hits.push(SearchHit {
                conversation_id,
                conversation_title,
                message_id,
                role: parse_role(&role)?,
                snippet: split_snippet(&snippet),
                rank,
            });
        }
        Ok(SearchResults {
            hits,
            ranked_newest: floor.map(|_| self.options.rank_at_most),
        })
    }
}

/// Each word becomes a quoted FTS5 string, so `foo(` or `a OR b` cannot be
/// a syntax error or an operator; words are ANDed.
fn to_fts_query(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn split_snippet(marked: &str) -> Vec<SnippetPart> {
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut text = String::new();
    let mut hit = false;
    for ch in marked.chars() {
        if ch == OPEN || ch == CLOSE {
            if !text.is_empty() {
                parts.push(SnippetPart {
                    text: std::mem::take(&mut text),
                    hit,
                });
            }
            hit = ch == OPEN;
        } else {
            text.push(ch);
        }
    }
    if !text.is_empty() {
        parts.push(SnippetPart { text, hit });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_words() {
        assert_eq!(to_fts_query("  "), None);
        assert_eq!(to_fts_query("( -- )"), None);
        assert_eq!(
            to_fts_query("foo( a\"b OR"),
            Some("\"foo(\" \"a\"\"b\" \"OR\"".into())
        );
    }

    #[test]
    fn snippets_split_on_markers() {
        let parts = split_snippet("…a \u{E000}fox\u{E001} b\u{E000}x\u{E001}");
        let texts: Vec<(&str, bool)> = parts.iter().map(|p| (p.text.as_str(), p.hit)).collect();
        assert_eq!(
            texts,
            [("…a ", false), ("fox", true), (" b", false), ("x", true)]
        );
    }
}

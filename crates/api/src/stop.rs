//! Stop strings: text is held back while it could still be the start of one,
//! so a client never sees part of a stop string.

pub struct StopMatcher {
    stops: Vec<String>,
    held: String,
}

impl StopMatcher {
    pub fn new(stops: Vec<String>) -> Self {
        Self { stops: stops.into_iter().filter(|s| !s.is_empty()).collect(), held: String::new() }
    }

    /// The text that is safe to show after `delta`, and whether a stop string
    /// was reached (the text is then what came before it; nothing follows).
    pub fn push(&mut self, delta: &str) -> (String, bool) {
        self.held.push_str(delta);
        if let Some(at) = self.stops.iter().filter_map(|s| self.held.find(s.as_str())).min() {
            self.held.truncate(at);
            return (std::mem::take(&mut self.held), true);
        }
        let keep = self.stops.iter().map(|s| partial_at_end(&self.held, s)).max().unwrap_or(0);
        let out = self.held[..self.held.len() - keep].to_string();
        self.held.drain(..self.held.len() - keep);
        (out, false)
    }

    /// What was held back, at the end of the reply.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

/// Length of the longest proper prefix of `stop` that `text` ends with.
fn partial_at_end(text: &str, stop: &str) -> usize {
    (1..stop.len()).rev().find(|&k| stop.is_char_boundary(k) && text.ends_with(&stop[..k])).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], deltas: &[&str]) -> (Vec<String>, bool) {
        let mut m = StopMatcher::new(stops.iter().map(|s| s.to_string()).collect());
        let mut out = Vec::new();
        for d in deltas {
            let (text, hit) = m.push(d);
            out.push(text);
            if hit {
                return (out, true);
            }
        }
        out.push(m.finish());
        (out, false)
    }

    #[test]
    fn a_stop_split_across_deltas_is_never_shown() {
        assert_eq!(run(&["\n\n"], &["def f", "():\n", "\n    x"]), (vec!["def f".into(), "():".into(), "".into()], true));
        assert_eq!(run(&["END"], &["a E", "N", "D b"]), (vec!["a ".into(), "".into(), "".into()], true));
    }

    #[test]
    fn text_that_only_looked_like_a_stop_comes_out() {
        assert_eq!(run(&["END"], &["a EN", "x"]), (vec!["a ".into(), "ENx".into(), "".into()], false));
        assert_eq!(run(&["END"], &["a EN"]), (vec!["a ".into(), "EN".into()], false));
    }

    #[test]
    fn the_earliest_of_several_stops_wins_and_empty_stops_are_ignored() {
        assert_eq!(run(&["", "b", "ab"], &["xab"]), (vec!["x".into()], true));
        assert_eq!(run(&["é!"], &["café", "?"]), (vec!["caf".into(), "é?".into(), "".into()], false));
    }
}

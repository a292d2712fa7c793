//! Progress reports, at a rate a UI can keep up with.

use std::time::{Duration, Instant};

/// How far a download has got, in bytes of the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub downloaded: u64,
    pub total: u64,
}

/// Rate-limits progress reports; the final one always goes out.
pub(crate) struct Ticker<'p> {
    callback: &'p mut dyn FnMut(Progress),
    total: u64,
    interval: Duration,
    last: Option<Instant>,
}

impl<'p> Ticker<'p> {
    pub(crate) fn new(
        callback: &'p mut dyn FnMut(Progress),
        total: u64,
        interval: Duration,
    ) -> Self {
        Ticker {
            callback,
            total,
            interval,
            last: None,
        }
    }

    pub(crate) fn report(&mut self, downloaded: u64) {
        let now = Instant::now();
        let due = self
            .last
            .is_none_or(|last| now.duration_since(last) >= self.interval);
        if due || downloaded == self.total {
            self.last = Some(now);
            (self.callback)(Progress {
                downloaded,
                total: self.total,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticker_limits_the_rate_but_always_reports_the_end() {
        let mut seen = Vec::new();
        let mut record = |p: Progress| seen.push(p.downloaded);
        let mut ticker = Ticker::new(&mut record, 10, Duration::from_secs(3600));
        for n in 0..=10 {
            ticker.report(n);
        }
        assert_eq!(seen, [0, 10]);
    }
}

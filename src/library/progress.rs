//! The progress interface of long runs over the library (indexing,
//! embedding); how it is shown is the caller's business.

use std::path::Path;

/// Receives indexing progress; called from worker threads.
pub trait Progress: Sync {
    /// Analysis of `total` files begins.
    fn start(&self, total: u64);
    /// One file is done.
    fn advance(&self, path: &Path);
    /// Analysis ended (finished or interrupted).
    fn finish(&self);
    /// Something the user should know before a long run (e.g. "index X is
    /// corrupt; rebuilding"). Default: a line on stderr.
    fn note(&self, msg: &str) {
        eprintln!("musim-tui: {}", crate::store::text::safe(msg));
    }
}

/// Reports nothing (tests, library use).
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _total: u64) {}
    fn advance(&self, _path: &Path) {}
    fn finish(&self) {}
    fn note(&self, _msg: &str) {}
}

/// The longest a long run (indexing, embedding) goes without saving what
/// it has done, so that a killed run loses at most this much work.
pub const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// The shortest wait between two checkpoints (and the first one's delay).
pub const CHECKPOINT_MIN: std::time::Duration = std::time::Duration::from_secs(2);

/// A checkpoint waits this many times as long as the last one took: saving
/// costs at most ~5 % of the run.
const SAVE_SHARE: u32 = 20;

/// The environment variable that fixes the checkpoint interval, in seconds
/// (tests set 0: a checkpoint after every file).
pub const CHECKPOINT_ENV: &str = "MUSIM_CHECKPOINT_SECONDS";

/// When a long run saves next. A small index saves every
/// [`CHECKPOINT_MIN`]: a short run killed at 60 % keeps most of its work. A
/// large one waits 20 times as long as its last save took (an index of
/// 100k tracks takes about a second to write) and never longer than
/// [`CHECKPOINT_INTERVAL`]. `$MUSIM_CHECKPOINT_SECONDS` fixes the interval.
#[derive(Debug, Clone)]
pub struct Cadence {
    last: std::time::Instant,
    wait: std::time::Duration,
    fixed: bool,
}

impl Cadence {
    /// Starts now, with the interval `$MUSIM_CHECKPOINT_SECONDS` fixes, if
    /// any.
    pub fn new() -> Self {
        let fixed = std::env::var(CHECKPOINT_ENV)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(std::time::Duration::from_secs_f64);
        Self {
            last: std::time::Instant::now(),
            wait: fixed.unwrap_or(CHECKPOINT_MIN),
            fixed: fixed.is_some(),
        }
    }

    /// Whether a checkpoint is due.
    pub fn due(&self) -> bool {
        self.last.elapsed() >= self.wait
    }

    /// A checkpoint was just saved, taking `took`: the next one waits
    /// accordingly.
    pub fn saved(&mut self, took: std::time::Duration) {
        self.last = std::time::Instant::now();
        if !self.fixed {
            self.wait = next_wait(took);
        }
    }
}

impl Default for Cadence {
    fn default() -> Self {
        Self::new()
    }
}

/// The wait after a checkpoint that took `took`.
fn next_wait(took: std::time::Duration) -> std::time::Duration {
    took.saturating_mul(SAVE_SHARE)
        .clamp(CHECKPOINT_MIN, CHECKPOINT_INTERVAL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_wait_follows_the_cost_of_a_save_within_bounds() {
        assert_eq!(next_wait(Duration::from_millis(3)), CHECKPOINT_MIN);
        assert_eq!(
            next_wait(Duration::from_millis(500)),
            Duration::from_secs(10)
        );
        assert_eq!(next_wait(Duration::from_secs(4)), CHECKPOINT_INTERVAL);
    }
}

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

/// How often a long run (indexing, embedding) saves what it has done so
/// far, so that a killed run loses at most this much work.
pub const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// The environment variable that overrides [`CHECKPOINT_INTERVAL`], in
/// seconds (tests set 0: a checkpoint after every file).
pub const CHECKPOINT_ENV: &str = "MUSIM_CHECKPOINT_SECONDS";

/// The checkpoint interval: `$MUSIM_CHECKPOINT_SECONDS` if it is a number
/// of seconds, else [`CHECKPOINT_INTERVAL`].
pub fn checkpoint_interval() -> std::time::Duration {
    std::env::var(CHECKPOINT_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(std::time::Duration::from_secs_f64)
        .unwrap_or(CHECKPOINT_INTERVAL)
}

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

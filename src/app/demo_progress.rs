//! Progress for generating the demo library on stderr: a bar on a
//! terminal, a few plain lines otherwise (logs capture no carriage returns).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Reports `(done, total)` track counts from worker threads.
pub struct StderrProgress {
    bar: Option<ProgressBar>,
}

impl StderrProgress {
    /// A bar when stderr is a terminal, else quarter-way log lines.
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} generating demo library [{bar:30}] {pos}/{len} tracks · ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            b.set_style(style);
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        StderrProgress { bar }
    }

    /// One more track is done.
    pub fn tick(&self, done: usize, total: usize) {
        match &self.bar {
            Some(b) => {
                b.set_length(total as u64);
                b.set_position(done as u64);
            }
            None => {
                let quarter = total.div_ceil(4).max(1);
                if done.is_multiple_of(quarter) || done == total {
                    eprintln!("musim-tui: generated {done}/{total} demo tracks");
                }
            }
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Default for StderrProgress {
    fn default() -> Self {
        Self::new()
    }
}

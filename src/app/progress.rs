//! Progress of indexing and embedding on stderr: an indicatif bar on a
//! terminal, plain periodic log lines otherwise (logs and CI capture no carriage returns).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use crate::library::progress::{Progress, Silent};

/// What a run does to each file, for progress text: ("analysing", "analysed").
pub type Verb = (&'static str, &'static str);

/// Analysing files (the index run).
pub const ANALYSING: Verb = ("analysing", "analysed");
/// Computing deep embeddings.
pub const EMBEDDING: Verb = ("embedding", "embedded");

/// A progress bar on stderr: count, rate, ETA.
#[derive(Debug)]
pub struct Bar(ProgressBar, Verb);

impl Bar {
    /// A hidden bar until [`Progress::start`].
    pub fn new() -> Self {
        Self::doing(ANALYSING)
    }

    /// A hidden bar for a run that does `verb` to each file.
    pub fn doing(verb: Verb) -> Self {
        Bar(
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            verb,
        )
    }
}

impl Default for Bar {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
        let style = ProgressStyle::with_template(&format!(
            "{{spinner}} {} [{{bar:30}}] {{pos}}/{{len}} files · {{per_sec}} · ETA {{eta}} {{wide_msg}}",
            self.1 .0
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        self.0.set_style(style);
        self.0.enable_steady_tick(Duration::from_millis(200));
    }

    fn advance(&self, path: &Path) {
        // Drawn on the terminal: shown, not obeyed.
        let name = path
            .file_name()
            .map(|n| crate::store::text::safe(&n.to_string_lossy()).into_owned())
            .unwrap_or_default();
        self.0.set_message(name);
        self.0.inc(1);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Plain lines on stderr every few seconds: "indexing: 120/1000 files …".
#[derive(Debug)]
pub struct LogLines {
    total: AtomicU64,
    done: AtomicU64,
    started: Mutex<Option<(Instant, Instant)>>,
    every: Duration,
    verb: Verb,
}

impl LogLines {
    /// Log at most once per `every`.
    pub fn new(every: Duration) -> Self {
        Self::doing(every, ANALYSING)
    }

    /// Log at most once per `every`, for a run that does `verb` to each file.
    pub fn doing(every: Duration, verb: Verb) -> Self {
        LogLines {
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            started: Mutex::new(None),
            every,
            verb,
        }
    }
}

impl Progress for LogLines {
    fn start(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        let now = Instant::now();
        if let Ok(mut s) = self.started.lock() {
            *s = Some((now, now));
        }
        eprintln!("musim-tui: {} {total} files", self.verb.0);
    }

    fn advance(&self, _path: &Path) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed);
        let Ok(mut guard) = self.started.lock() else {
            return;
        };
        let Some((start, last)) = guard.as_mut() else {
            return;
        };
        if last.elapsed() < self.every && done < total {
            return;
        }
        *last = Instant::now();
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let rate = done as f64 / secs;
        let eta = if rate > 0.0 {
            (total.saturating_sub(done)) as f64 / rate
        } else {
            0.0
        };
        eprintln!(
            "musim-tui: {} {done}/{total} files ({rate:.1}/s, ETA {eta:.0} s)",
            self.verb.1
        );
    }

    fn finish(&self) {}
}

/// The right reporter for stderr: a bar on a terminal, log lines otherwise.
pub fn for_stderr() -> Box<dyn Progress> {
    for_stderr_doing(ANALYSING)
}

/// [`for_stderr`] for a run that does `verb` to each file.
pub fn for_stderr_doing(verb: Verb) -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar::doing(verb))
    } else {
        Box::new(LogLines::doing(Duration::from_secs(5), verb))
    }
}

/// Where the command line puts the index run's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    /// On stdout (the command's own result: `index`, `train`, `report`).
    Stdout,
    /// On stderr, followed by the library summary on stdout (no command).
    WithLibrary,
}

/// The command line's view of a pipeline run: bars or log lines on
/// stderr, model stages, the summaries.
#[derive(Debug)]
pub struct Stderr {
    summary: Summary,
    stages: super::stages::StderrStages,
}

impl Stderr {
    /// A view that puts the index summary where `summary` says.
    pub fn new(summary: Summary) -> Self {
        Stderr {
            summary,
            stages: super::stages::StderrStages::new(),
        }
    }
}

impl super::pipeline::Observer for Stderr {
    fn files(&self, step: super::pipeline::Step) -> Box<dyn Progress + '_> {
        match step {
            super::pipeline::Step::Embed => for_stderr_doing(EMBEDDING),
            _ => for_stderr(),
        }
    }

    fn stage(&self, stage: crate::model::Stage) {
        self.stages.report(stage);
    }

    fn indexed(&self, report: &crate::library::indexer::Report) {
        let text = super::summary::run_summary(report);
        match self.summary {
            Summary::Stdout => print!("{text}"),
            Summary::WithLibrary => {
                eprint!("{text}");
                print!(
                    "{}",
                    super::summary::library_summary(&report.index, &report.index_path)
                );
            }
        }
    }

    fn embedded(&self, report: &crate::library::deep::EmbedReport) {
        if report.embedded > 0 || !report.failed.is_empty() || report.interrupted {
            eprintln!("musim-tui: {}", report.summary());
        }
    }

    fn modelled(&self, ensured: &super::model_file::Ensured, seconds: f64) {
        match (&ensured.update, &ensured.rebuilt) {
            (Some(Ok(c)), _) => eprintln!(
                "musim-tui: model updated: {} tracks added, {} removed, {seconds:.1} s",
                c.added, c.removed
            ),
            (_, Some(super::model_file::Stale::Missing)) => {
                eprintln!("musim-tui: model built in {seconds:.1} s (no model yet)")
            }
            (refused, Some(why)) => {
                let not_updated = match refused {
                    Some(Err(r)) => format!("; not updated: {r}"),
                    _ => String::new(),
                };
                eprintln!(
                    "musim-tui: model rebuilt in {seconds:.1} s ({}{not_updated})",
                    crate::store::text::safe(&why.to_string())
                )
            }
            (_, None) => {}
        }
        if let Some(err) = &ensured.save_error {
            eprintln!(
                "musim-tui: warning: the model works but was not saved: {}",
                crate::store::text::safe(err)
            );
        }
    }
}

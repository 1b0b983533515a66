//! Incremental, parallel indexing of a library.
//!
//! A file is re-analysed only when its path, size or mtime changed (or the
//! feature set / analysis parameters did); failures are remembered and
//! retried only when the file changes or musim is upgraded. The analysis
//! function is a parameter so tests can count calls and inject failures.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use super::fs::Fs;
use super::index::{Entry, Header, Index, LoadError, Outcome};
use super::labels::{self, LabelSource};
use super::progress::{Cadence, Progress};
use super::scan::{scan, Scan, ScanError};
use super::shard::{Shard, ShardInfo};
use crate::analysis::{TrackAnalysis, Windows};
use crate::audio::AudioError;
use crate::store::atomic::{check_writable, WriteError};
use crate::store::backup::{keep_copy, BackupError};
use crate::store::lock::WriterLock;
use crate::store::paths::{from_bytes, show, to_bytes};
use crate::store::stamp::Stamped;
use crate::tags::Tags;

/// The analysis function: file → fingerprint.
pub type AnalyzeFn<'f> = dyn Fn(&Path) -> Result<TrackAnalysis, AudioError> + Sync + 'f;

/// The real analysis, [`crate::analysis::analyze_file`].
pub fn real_analysis() -> &'static AnalyzeFn<'static> {
    &crate::analysis::analyze_file
}

/// What an indexing run needs.
pub struct Job<'a> {
    /// Canonical library root.
    pub root: &'a Path,
    /// Index file.
    pub index_path: &'a Path,
    /// File system for the scan.
    pub fs: &'a dyn Fs,
    /// Analysis function.
    pub analyze: &'a AnalyzeFn<'a>,
    /// Progress reporter.
    pub progress: &'a dyn Progress,
    /// Set (e.g. by Ctrl-C) to stop launching new analyses.
    pub cancel: &'a AtomicBool,
    /// Which parts of long tracks `analyze` looks at (recorded in the
    /// header: changing it re-analyses the library).
    pub windows: Windows,
    /// Where genre labels come from (recorded in the header).
    pub labels: LabelSource,
    /// Remove the tracks whose files are gone even when that is every
    /// track (the library folder has no audio file) or when the index was
    /// made for another library (`index --prune`). Without it such a run
    /// fails and changes nothing: an unmounted drive looks just like that.
    pub prune: bool,
    /// Analyse only this shard's files (`index --shard i/n`); the index
    /// records the shard and what it saw of the whole library.
    pub shard: Option<Shard>,
}

/// Removing at least this many tracks, and more than half of the index,
/// keeps a copy of the previous index first.
pub const LARGE_REMOVAL: usize = 10;

/// Why indexing could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The library cannot be scanned.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// The index cannot be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A bad index could not be moved aside, so it is kept.
    #[error("cannot move the unusable index {} aside to {}: {source}; it was left untouched", show(.path), show(.backup))]
    Backup {
        /// The index.
        path: PathBuf,
        /// Where it was to go.
        backup: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The index path holds something that cannot be read, or that is not
    /// an index file (a folder, a FIFO, a device): it is reported, never
    /// moved or replaced.
    #[error("{0}; it was left untouched")]
    Unreadable(LoadError),
    /// The library folder has no audio file while its index holds tracks
    /// (an unmounted drive, an emptied folder): nothing is removed.
    #[error("library folder {} has no audio files but its index holds {held} {} — is the drive mounted? Nothing was removed (to really empty the index, run `musim-tui index --prune`)", show(.root), track_word(*.held))]
    NoAudio {
        /// The library root.
        root: PathBuf,
        /// The index.
        index: PathBuf,
        /// How many tracks the index holds.
        held: usize,
    },
    /// The index was made for another library.
    #[error("index {} was made for library {}, not {}: nothing was changed (use the index of {}, or run `musim-tui index --prune` to replace its tracks with those of {})", show(.index), show(.made_for), show(.root), show(.root), show(.root))]
    OtherLibrary {
        /// The index.
        index: PathBuf,
        /// The library it was made for.
        made_for: PathBuf,
        /// The library of this run.
        root: PathBuf,
    },
    /// Another writer's lock could not be waited for.
    #[error("{0}")]
    Lock(#[source] crate::store::lock::LockError),
    /// A copy of the index could not be kept before a large removal.
    #[error("{source}; not removing {removed} of the index's {held} tracks without one: the index was left untouched")]
    KeepCopy {
        /// Why.
        source: BackupError,
        /// Tracks the run would remove.
        removed: usize,
        /// Tracks the index holds.
        held: usize,
    },
}

/// What a writer waiting for another says.
pub fn waiting_note(index: &Path) -> String {
    format!(
        "another musim-tui is writing index {}; waiting for it to finish (Ctrl-C to stop)",
        show(index)
    )
}

/// "track" or "tracks", to follow the number `n`.
fn track_word(n: usize) -> &'static str {
    if n == 1 {
        "track"
    } else {
        "tracks"
    }
}

/// What happened to the index that was there before.
#[derive(Debug, Clone, PartialEq)]
pub enum Previous {
    /// No index yet.
    None,
    /// Usable.
    Usable,
    /// Usable file, but its fingerprints are stale (why).
    Stale(String),
    /// Unusable (message); being rebuilt.
    Unusable(String),
}

impl Previous {
    /// Notes about the previous index, for stderr before the run's summary.
    pub fn note(&self) -> Option<String> {
        match self {
            Previous::Unusable(m) => Some(format!("{m}; rebuilding")),
            Previous::Stale(m) => Some(format!("{m}; re-analysing everything")),
            Previous::None | Previous::Usable => None,
        }
    }
}

/// Whether and how the index was saved.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    /// Written (and the bad previous file moved to this path, if any).
    Written {
        /// Backup of an unusable previous index.
        backup: Option<PathBuf>,
    },
    /// Nothing changed, nothing written.
    UpToDate,
    /// Not written, the old file kept (why).
    KeptOld(String),
}

/// One failed file.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The file (display form).
    pub path: String,
    /// Full message.
    pub reason: String,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Library root.
    pub root: PathBuf,
    /// Index file.
    pub index_path: PathBuf,
    /// The previous index's state.
    pub previous: Previous,
    /// Files analysed successfully in this run.
    pub analysed: usize,
    /// Files reused from the index (including remembered failures).
    pub unchanged: usize,
    /// Of `unchanged`, how many are remembered failures.
    pub known_failures: usize,
    /// Entries dropped because their file is gone.
    pub removed: usize,
    /// Files that failed in this run, grouped by kind (sorted).
    pub failures: Vec<(String, Vec<Failure>)>,
    /// Warnings about files that were analysed anyway (e.g. truncated), each naming its file.
    /// A file that failed is counted among the failures only, whatever it was warned of.
    pub warnings: Vec<String>,
    /// How many analysed files `warnings` are about.
    pub warned_files: usize,
    /// Files not analysed because the run was interrupted.
    pub not_reached: usize,
    /// Whether the run was interrupted.
    pub interrupted: bool,
    /// The scan (problems, skipped files).
    pub scan: Scan,
    /// Groups of files with identical fingerprints (display paths).
    pub duplicates: Vec<Vec<String>>,
    /// Whether the index was saved.
    pub saved: Saved,
    /// Where a copy of the previous index was kept because this run
    /// removed most of its tracks (at least [`LARGE_REMOVAL`]).
    pub previous_copy: Option<PathBuf>,
    /// The library's index after the run.
    pub index: Index,
}

impl Report {
    /// Number of files that failed in this run.
    pub fn failed(&self) -> usize {
        self.failures.iter().map(|(_, v)| v.len()).sum()
    }
}

/// A short, stable kind for grouping failures in summaries.
pub fn failure_kind(e: &AudioError) -> &'static str {
    match e {
        AudioError::Io { .. } => "cannot read file",
        AudioError::Empty { .. } => "empty file",
        AudioError::NotAudio { .. } => "not an audio file",
        AudioError::UnsupportedCodec { .. } => "unsupported codec",
        AudioError::Corrupt { .. } => "damaged or truncated audio",
        AudioError::NoAudio { .. } => "no audio samples",
    }
}

/// The previous index, as far as it can be reused.
struct Old {
    /// Its state.
    previous: Previous,
    /// Its header and reusable entries (none when stale).
    index: Option<Index>,
    /// Unusable and to be moved aside: the backup suffix.
    bad: Option<&'static str>,
    /// How many tracks the file held (stale ones included).
    held: usize,
}

/// Load the previous index, deciding what of it can be reused. A file that
/// cannot be read, or that is not a regular file, is an error: only a
/// readable, damaged or foreign-format file is rebuilt (and kept aside).
fn load_previous(job: &Job<'_>, current: &Header) -> Result<Old, IndexError> {
    let old = match Index::load_from(job.fs, job.index_path) {
        Ok(None) => {
            return Ok(Old {
                previous: Previous::None,
                index: None,
                bad: None,
                held: 0,
            })
        }
        Err(e) if !e.replaceable() => return Err(IndexError::Unreadable(e)),
        Err(e) => {
            let suffix = match e {
                LoadError::Older { .. } => "old",
                LoadError::Newer { .. } => "newer",
                _ => "corrupt",
            };
            return Ok(Old {
                previous: Previous::Unusable(e.to_string()),
                index: None,
                bad: Some(suffix),
                held: 0,
            });
        }
        Ok(Some(old)) => old,
    };
    let held = old.entries.len();
    let h = &old.header;
    let stale = if h.feature_set_version != current.feature_set_version {
        Some(format!(
            "made with feature set v{} (now v{})",
            h.feature_set_version, current.feature_set_version
        ))
    } else if h.params.windows != current.params.windows {
        Some(format!(
            "made analysing {} (now {})",
            h.params.windows.describe(),
            current.params.windows.describe()
        ))
    } else if h.params != current.params || h.feature_names != current.feature_names {
        Some("made with other analysis parameters".to_string())
    } else {
        None
    };
    Ok(match stale {
        Some(why) => {
            let msg = format!("index {} was {why}", show(job.index_path));
            // Keep the failures? No: the decoder may differ too.
            Old {
                previous: Previous::Stale(msg),
                index: Some(Index {
                    entries: vec![],
                    deep: Default::default(),
                    ..old
                }),
                bad: None,
                held,
            }
        }
        None => Old {
            previous: Previous::Usable,
            index: Some(old),
            bad: None,
            held,
        },
    })
}

/// Index the library: scan, reuse what is unchanged, analyse the rest in
/// parallel, save atomically (unless the run failed), and report.
pub fn run(job: &Job<'_>) -> Result<Report, IndexError> {
    // Fail before the expensive part if the index cannot be written.
    check_writable(job.index_path)?;
    // One writer at a time: this run reads the index only once the other
    // writer has saved, so neither drops the other's work.
    let _writer = WriterLock::acquire(job.index_path, job.cancel, &|p| {
        job.progress.note(&waiting_note(p))
    })
    .map_err(IndexError::Lock)?;
    let mut header = Header::with_choices(job.root, job.windows, job.labels);
    let Old {
        previous,
        index: mut old,
        bad,
        held,
    } = load_previous(job, &header)?;
    let old_bad = bad.is_some();
    // An index of another library would lose every track to this one.
    if let Some(o) = &old {
        if o.header.root != header.root && !job.prune {
            return Err(IndexError::OtherLibrary {
                index: job.index_path.to_path_buf(),
                made_for: from_bytes(&o.header.root),
                root: job.root.to_path_buf(),
            });
        }
    }
    if let Some(note) = previous.note() {
        job.progress.note(&note);
    }
    let old_had_value = old_bad || old.as_ref().is_some_and(|o| o.analysed() > 0);
    // Taken, not copied: at 100 000 tracks the entries and embeddings are
    // hundreds of MB, and a copy of each set the run's peak memory.
    let old_entries = old
        .as_mut()
        .map(|o| std::mem::take(&mut o.entries))
        .unwrap_or_default();
    let retry_failures = old
        .as_ref()
        .is_some_and(|o| o.header.musim_version != header.musim_version);

    let mut scanned = scan(job.fs, job.root)?;
    if let Some(shard) = job.shard {
        let rel = |p: &Path| p.strip_prefix(job.root).unwrap_or(p).to_path_buf();
        let rels: Vec<PathBuf> = scanned.files.iter().map(|f| rel(&f.path)).collect();
        let refs: Vec<&Path> = rels.iter().map(PathBuf::as_path).collect();
        header.shard = Some(ShardInfo::new(shard, &refs));
        scanned.files.retain(|f| shard.holds(&rel(&f.path)));
    }
    let old_header_same = old.as_ref().is_some_and(|o| o.header == header);
    // An unmounted drive or an emptied folder: not a reason to forget
    // everything (unless asked to).
    if scanned.files.is_empty() && held > 0 && !job.prune {
        return Err(IndexError::NoAudio {
            root: job.root.to_path_buf(),
            index: job.index_path.to_path_buf(),
            held,
        });
    }

    let mut by_path: HashMap<Vec<u8>, Entry> = old_entries
        .iter()
        .map(|e| (e.path.clone(), e.clone()))
        .collect();
    let mut slots: Vec<Option<Entry>> = Vec::with_capacity(scanned.files.len());
    let mut todo = Vec::new();
    // The old entries of the files to re-analyse, kept by checkpoints
    // until their new analysis is done.
    let mut earlier: HashMap<usize, Entry> = HashMap::new();
    let mut known_failures = 0;
    for (i, f) in scanned.files.iter().enumerate() {
        let key = to_bytes(&f.path);
        match by_path.remove(&key) {
            Some(e) if e.same_stamp(f) && !(retry_failures && e.values().is_none()) => {
                if e.values().is_none() {
                    known_failures += 1;
                }
                slots.push(Some(e));
            }
            other => {
                todo.push(i);
                slots.push(None);
                if let Some(e) = other {
                    earlier.insert(i, e);
                }
            }
        }
    }
    let removed = by_path.len();
    let unchanged = slots.iter().filter(|s| s.is_some()).count();
    // Unchanged files indexed before musim read tags: their tags are read
    // now, their audio is not analysed again.
    slots
        .par_iter_mut()
        .flatten()
        .filter(|e| e.tags.is_none())
        .for_each(|e| {
            e.tags = Some(read_tags(&from_bytes(&e.path)));
        });

    // Checkpoints: while analysing, the index is saved as often as
    // `Cadence` says with what is done so far, so a killed run loses at
    // most that much work. A checkpoint never removes anything:
    // it keeps every old entry whose file is not analysed yet, and those of
    // files the scan no longer found (removal, and its backup, is the final
    // save's business). Not for an index of another library (`--prune`).
    let mut deep = old
        .as_mut()
        .map(|o| std::mem::take(&mut o.deep))
        .unwrap_or_default();
    let mut bad_copy: Option<PathBuf> = None;
    let mut checkpoints = old.as_ref().is_none_or(|o| o.header.root == header.root);
    let gone: Vec<&Entry> = old_entries
        .iter()
        .filter(|e| by_path.contains_key(&e.path))
        .collect();
    let mut checkpoint = |done: &[Done]| {
        if !checkpoints || !done.iter().any(|d| matches!(d.1, Outcome::Analysed { .. })) {
            return;
        }
        let new: HashMap<usize, (&Outcome, &Tags)> =
            done.iter().map(|(i, o, _, t)| (*i, (o, t))).collect();
        let mut entries: Vec<Entry> = Vec::with_capacity(scanned.files.len() + gone.len());
        for (i, f) in scanned.files.iter().enumerate() {
            if let Some((outcome, tags)) = new.get(&i) {
                entries.push(Entry {
                    path: to_bytes(&f.path),
                    size: f.size,
                    mtime_ns: f.mtime_ns,
                    label: None,
                    tags: Some((*tags).clone()),
                    outcome: (*outcome).clone(),
                });
            } else if let Some(e) = slots.get(i).and_then(|s| s.as_ref()).or(earlier.get(&i)) {
                entries.push(e.clone());
            }
        }
        entries.extend(gone.iter().map(|e| (*e).clone()));
        labels::apply(&mut entries, job.root, job.labels);
        // An unusable previous index is kept aside before the first write,
        // as the final save would.
        if let (Some(suffix), None) = (bad, &bad_copy) {
            match keep_copy(job.index_path, suffix) {
                Ok(copy) => bad_copy = Some(copy),
                Err(_) => {
                    checkpoints = false;
                    return;
                }
            }
        }
        let mut index = Index {
            header: header.clone(),
            entries,
            deep: std::mem::take(&mut deep),
        };
        index.deep.retain_valid(&index.entries);
        if let Err(e) = index.save(job.index_path) {
            job.progress.note(&format!(
                "cannot save a checkpoint of the index: {e}; going on without"
            ));
            checkpoints = false;
        }
        deep = index.deep;
    };
    let outcomes = analyse_all(job, &scanned, &todo, &mut checkpoint);
    let interrupted = job.cancel.load(Ordering::SeqCst) && outcomes.len() < todo.len();

    let mut analysed = 0;
    let mut groups: HashMap<String, Vec<Failure>> = HashMap::new();
    let mut warnings = Vec::new();
    let mut warned_files = 0;
    for (i, outcome, warned, tags) in &outcomes {
        let (Some(f), Some(slot)) = (scanned.files.get(*i), slots.get_mut(*i)) else {
            continue;
        };
        match outcome {
            Outcome::Analysed { .. } => {
                analysed += 1;
                warned_files += usize::from(!warned.is_empty());
                warnings.extend(warned.iter().cloned());
            }
            Outcome::Failed { kind, reason } => {
                groups.entry(kind.clone()).or_default().push(Failure {
                    path: show(&f.path),
                    reason: reason.clone(),
                })
            }
        }
        *slot = Some(Entry {
            path: to_bytes(&f.path),
            size: f.size,
            mtime_ns: f.mtime_ns,
            label: None,
            tags: Some(tags.clone()),
            outcome: outcome.clone(),
        });
    }
    let not_reached = todo.len() - outcomes.len();
    let mut failures: Vec<(String, Vec<Failure>)> = groups.into_iter().collect();
    failures.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));

    let mut index = Index {
        header,
        entries: slots.into_iter().flatten().collect(),
        deep,
    };
    labels::apply(&mut index.entries, job.root, job.labels);
    // Embeddings of files that changed or went away no longer count.
    index.deep.retain_valid(&index.entries);
    let attempted = outcomes.len();
    let large_removal = removed >= LARGE_REMOVAL && removed * 2 > old_entries.len();
    let mut previous_copy = None;
    let saved = if interrupted && attempted == 0 {
        Saved::KeptOld("interrupted before any file was analysed".into())
    } else if attempted > 0 && analysed == 0 && index.analysed() == 0 && old_had_value {
        Saved::KeptOld("nothing could be analysed".into())
    } else if !old_bad && old_header_same && index.entries == old_entries {
        Saved::UpToDate
    } else {
        // The old file is kept under a numbered name (never replacing an
        // earlier backup); saving then replaces the index atomically.
        let backup = match bad {
            // Kept aside already, before the first checkpoint.
            Some(_) if bad_copy.is_some() => bad_copy,
            Some(suffix) => {
                Some(
                    keep_copy(job.index_path, suffix).map_err(|e| IndexError::Backup {
                        path: e.path,
                        backup: e.backup,
                        source: e.source,
                    })?,
                )
            }
            None => None,
        };
        if large_removal {
            let copy =
                keep_copy(job.index_path, "backup").map_err(|source| IndexError::KeepCopy {
                    source,
                    removed,
                    held: old_entries.len(),
                })?;
            job.progress.note(&format!(
                "{removed} of the {} tracks of index {} are no longer in library {} and are removed from it; the previous index is kept as {}",
                old_entries.len(),
                show(job.index_path),
                show(job.root),
                show(&copy)
            ));
            previous_copy = Some(copy);
        }
        index.save(job.index_path)?;
        Saved::Written { backup }
    };

    Ok(Report {
        root: job.root.to_path_buf(),
        index_path: job.index_path.to_path_buf(),
        previous,
        analysed,
        unchanged,
        known_failures,
        removed,
        failures,
        warnings,
        warned_files,
        not_reached,
        interrupted,
        duplicates: duplicates(&index),
        scan: scanned,
        saved,
        previous_copy,
        index,
    })
}

/// What one analysis gave: (file position, outcome, warnings, tags).
type Done = (usize, Outcome, Vec<String>, Tags);

/// Analyse the files at `todo` in parallel; stops launching work once
/// cancelled. Returns what was analysed, in `todo`'s order. The outcomes
/// come back to this thread as they finish, which calls `checkpoint` with
/// all of them so far whenever a [`Cadence`] says one is due.
fn analyse_all(
    job: &Job<'_>,
    scanned: &Scan,
    todo: &[usize],
    checkpoint: &mut dyn FnMut(&[Done]),
) -> Vec<Done> {
    if todo.is_empty() {
        return Vec::new();
    }
    job.progress.start(todo.len() as u64);
    let n_dims = crate::features::fingerprint::dims();
    let (analyze, progress, cancel) = (job.analyze, job.progress, job.cancel);
    let files = &scanned.files;
    let (tx, rx) = std::sync::mpsc::channel::<Done>();
    let mut out: Vec<Done> = Vec::with_capacity(todo.len());
    std::thread::scope(|s| {
        s.spawn(move || {
            todo.par_iter().for_each_with(tx, |tx, &i| {
                if cancel.load(Ordering::SeqCst) {
                    return;
                }
                let Some(f) = files.get(i) else {
                    return;
                };
                let (outcome, mut warnings) = analyse_one(analyze, &f.path, n_dims);
                let (tags, warned) = read_tags_noting(&f.path);
                warnings.extend(warned);
                progress.advance(&f.path);
                let _ = tx.send((i, outcome, warnings, tags));
            });
        });
        let mut cadence = Cadence::new();
        for done in rx {
            out.push(done);
            if cadence.due() && out.len() < todo.len() {
                let t0 = Instant::now();
                checkpoint(&out);
                cadence.saved(t0.elapsed());
            }
        }
    });
    job.progress.finish();
    out.sort_by_key(|d| d.0);
    out
}

/// One file → outcome. A panic in a decoder or feature is contained: one
/// odd file must not take the whole library's indexing down with it.
fn analyse_one(analyze: &AnalyzeFn<'_>, path: &Path, n_dims: usize) -> (Outcome, Vec<String>) {
    let outcome = match catch_unwind(AssertUnwindSafe(|| analyze(path))) {
        Ok(Ok(t)) if t.fingerprint.values.len() == n_dims => {
            return (
                Outcome::Analysed {
                    duration_s: t.duration_s,
                    values: t.fingerprint.values,
                },
                t.warnings,
            )
        }
        Ok(Ok(t)) => Outcome::Failed {
            kind: "internal error".into(),
            reason: format!(
                "{}: fingerprint has {} values, expected {n_dims}",
                show(path),
                t.fingerprint.values.len()
            ),
        },
        Ok(Err(e)) => Outcome::Failed {
            kind: failure_kind(&e).into(),
            reason: e.to_string(),
        },
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Outcome::Failed {
                kind: "internal error".into(),
                reason: format!("{}: analysis crashed: {what}", show(path)),
            }
        }
    };
    (outcome, Vec::new())
}

/// The tags of `path`; none when they cannot be read (the audio is
/// analysed all the same: damaged tags are no reason to skip a track). A
/// panic in the tag reader is contained like one in the analysis.
fn read_tags(path: &Path) -> Tags {
    read_tags_noting(path).0
}

/// [`read_tags`], and a warning for the summary when an oversized item
/// (an embedded picture) kept them from being read.
fn read_tags_noting(path: &Path) -> (Tags, Option<String>) {
    match catch_unwind(AssertUnwindSafe(|| crate::tags::read(path))) {
        Ok(Ok(t)) => (t, None),
        Ok(Err(e @ crate::tags::read::TagError::TooLarge { .. })) => {
            (Tags::default(), Some(e.to_string()))
        }
        _ => (Tags::default(), None),
    }
}

/// Groups of entries whose fingerprints are bit-identical.
pub fn duplicates(index: &Index) -> Vec<Vec<String>> {
    let mut groups: HashMap<Vec<u32>, Vec<String>> = HashMap::new();
    for e in &index.entries {
        if let Some(v) = e.values() {
            let key = v.iter().map(|x| x.to_bits()).collect();
            groups.entry(key).or_default().push(e.show_path());
        }
    }
    let mut out: Vec<Vec<String>> = groups.into_values().filter(|g| g.len() > 1).collect();
    for g in &mut out {
        g.sort();
    }
    out.sort();
    out
}

/// Load the index for reading (export, summary) without touching it.
pub fn load_existing(path: &Path) -> Result<Option<Index>, LoadError> {
    Index::load(path)
}

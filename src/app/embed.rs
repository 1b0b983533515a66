//! The embedding pass: give every analysed track of an index its deep
//! embedding (feature `embeddings`). It runs after the fast analysis, on
//! the same windows, reuses what is already embedded, and saves atomically,
//! while it runs too, as often as [`Cadence`] says: Ctrl-C, or a killed
//! run, keeps what was done.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::model_file::IndexStamp;
use super::progress::Progress;
use crate::deep::{embed_file, DeepError};
use crate::library::deep::{DeepRecord, DeepRow, EmbedReport};
use crate::library::index::{Index, LoadError};
use crate::library::progress::Cadence;
use crate::store::atomic::WriteError;
use crate::store::paths::{from_bytes, show};
use crate::store::stamp::Stamped;

/// Why the pass could not run at all (a track that fails is recorded, not an error).
#[derive(Debug, thiserror::Error)]
pub enum EmbedPassError {
    /// The model could not be loaded; the other profiles still work.
    #[error("{0}; the musim and seed similarity profiles still work")]
    Model(DeepError),
    /// The index could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// There is no index yet.
    #[error("no index at {}; run `musim-tui index` first", show(.0))]
    NotIndexed(PathBuf),
    /// The index could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Another writer's lock could not be waited for.
    #[error("{0}")]
    Lock(#[source] crate::store::lock::LockError),
}

/// Embed the analysed tracks of the index at `index_path` that have no
/// current embedding, and save it.
/// `ahead` holds embeddings already made while indexing (see
/// [`super::session::EmbedAhead`]); each is used for the entry of the same
/// path, size and mtime instead of decoding the file again.
pub fn run(
    index_path: &Path,
    ahead: Vec<DeepRow>,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<EmbedReport, EmbedPassError> {
    run_on(index_path, None, ahead, progress, cancel).map(|(report, _)| report)
}

/// [`run`], given the index as the index run just left it (`fresh`: the
/// index and the identity of its file then), which is used instead of
/// reading the file again while the file is still that one (at 100 000
/// tracks with embeddings a read takes seconds and 0.8 GB). Also returns
/// the index as the file now holds it when the pass embedded nothing new
/// (the model step's input), else `None` (read it from the file).
pub fn run_on(
    index_path: &Path,
    fresh: Option<(Index, IndexStamp)>,
    ahead: Vec<DeepRow>,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<(EmbedReport, Option<Index>), EmbedPassError> {
    let model = crate::deep::model::shared().map_err(EmbedPassError::Model)?;
    // One writer at a time (see `store::lock`); read the index once it is ours.
    let _writer = crate::store::lock::WriterLock::acquire(index_path, cancel, &|p| {
        progress.note(&crate::library::indexer::waiting_note(p))
    })
    .map_err(EmbedPassError::Lock)?;
    let mut index = match fresh {
        // Nobody replaced the file since the index run wrote or read it.
        Some((index, stamp)) if IndexStamp::of(index_path) == Some(stamp) => index,
        _ => {
            Index::load(index_path)?.ok_or_else(|| EmbedPassError::NotIndexed(index_path.into()))?
        }
    };
    let mut report = EmbedReport::default();
    let identity = crate::deep::track::identity(&model);
    let mut changed = index.deep.model != identity;
    if changed {
        report.model_changed = !index.deep.rows.is_empty();
        index.deep.rows.clear();
        index.deep.model = identity.clone();
    }
    changed |= index.deep.retain_valid(&index.entries);
    let todo: Vec<usize> = (0..index.entries.len())
        .filter(|&i| {
            let e = &index.entries[i];
            e.values().is_some() && index.deep.get(e).is_none()
        })
        .collect();
    report.reused = index.analysed() - todo.len();
    if todo.is_empty() {
        if changed {
            index.save(index_path)?;
        }
        return Ok((report, Some(index)));
    }
    let windows = index.header.params.windows;
    let ahead: std::collections::HashMap<&[u8], &DeepRow> =
        ahead.iter().map(|r| (r.path.as_slice(), r)).collect();
    progress.start(todo.len() as u64);
    let (tx, rx) = std::sync::mpsc::channel::<DeepRow>();
    let mut rows: Vec<DeepRow> = Vec::with_capacity(todo.len());
    let todo = &todo;
    let (entries, ahead) = (&index.entries, &ahead);
    let mut checkpoints = true;
    std::thread::scope(|s| {
        s.spawn(move || {
            todo.par_iter().for_each_with(tx, |tx, &i| {
                if let Some(row) = embed_one(entries, i, ahead, &model, &windows, progress, cancel)
                {
                    let _ = tx.send(row);
                }
            });
        });
        // Rows come back here as they are made; what is done so far is
        // saved as often as the cadence says.
        let mut cadence = Cadence::new();
        for row in rx {
            rows.push(row);
            if checkpoints && cadence.due() && rows.len() < todo.len() {
                let t0 = std::time::Instant::now();
                if let Err(e) = save_rows(index_path, &index, &identity, rows.clone()) {
                    progress.note(&format!(
                        "cannot save a checkpoint of the embeddings: {e}; going on without"
                    ));
                    checkpoints = false;
                }
                cadence.saved(t0.elapsed());
            }
        }
    });
    progress.finish();
    report.interrupted = rows.len() < todo.len();
    for r in &rows {
        match &r.record {
            DeepRecord::Embedded { repeat_padded, .. } => {
                report.embedded += 1;
                report.padded += usize::from(*repeat_padded);
            }
            DeepRecord::Failed { reason } => report
                .failed
                .push((crate::store::paths::show_bytes(&r.path), reason.clone())),
        }
    }
    save_rows(index_path, &index, &identity, rows)?;
    Ok((report, None))
}

/// Add `rows` to the index at `index_path` and save it. The index may have
/// been re-indexed meanwhile: add to what is on disk now when it is the
/// same library and windows (else to `index`, as it was read); rows of
/// files that changed meanwhile drop out.
fn save_rows(
    index_path: &Path,
    index: &Index,
    identity: &str,
    rows: Vec<DeepRow>,
) -> Result<(), WriteError> {
    let mut target = match Index::load(index_path) {
        Ok(Some(now)) if now.header.params == index.header.params => now,
        _ => index.clone(),
    };
    if target.deep.model != identity {
        target.deep.rows.clear();
        target.deep.model = identity.to_string();
    }
    target.deep.insert(rows);
    target.deep.retain_valid(&target.entries);
    target.save(index_path)
}

/// Embed the entry at `i` (or take its row made ahead); `None` once cancelled.
fn embed_one(
    entries: &[crate::library::index::Entry],
    i: usize,
    ahead: &std::collections::HashMap<&[u8], &DeepRow>,
    model: &std::sync::Arc<crate::deep::model::DeepModel>,
    windows: &crate::analysis::Windows,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Option<DeepRow> {
    if cancel.load(Ordering::SeqCst) {
        return None;
    }
    let e = entries.get(i)?;
    let path = from_bytes(&e.path);
    if let Some(row) = ahead.get(e.path.as_slice()).filter(|r| r.same_stamp(e)) {
        progress.advance(&path);
        return Some((*row).clone());
    }
    let m = model.clone();
    let record = match catch_unwind(AssertUnwindSafe(|| embed_file(&path, windows, m))) {
        Ok(Ok(d)) => DeepRecord::Embedded {
            embedding: d.embedding,
            tags: d.tags,
            patches: d.patches as u32,
            repeat_padded: d.repeat_padded,
        },
        Ok(Err(err)) => DeepRecord::Failed {
            reason: err.to_string(),
        },
        Err(_) => DeepRecord::Failed {
            reason: format!("{}: internal error while embedding", show(&path)),
        },
    };
    progress.advance(&path);
    Some(DeepRow {
        path: e.path.clone(),
        size: e.size,
        mtime_ns: e.mtime_ns,
        record,
    })
}

//! File → deep embedding, on the same parts of the track as the
//! hand-crafted analysis ([`crate::analysis::Windows`]).

use std::path::Path;
use std::sync::Arc;

use super::frontend::PATCH_FRAMES;
use super::{log_mel, DeepAccumulator, DeepEmbedding, DeepError, DeepModel, LogMel, PatchOutputs};
use crate::analysis::{analyze_file_observed, Decoded, TrackAnalysis, Windows};
use crate::audio::{self, AudioError};
use crate::features::SR;

/// Why a file's embedding could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// Decoding failed (names the file).
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The network failed.
    #[error("{}: {source}", crate::store::paths::show(.path))]
    Deep {
        /// The file.
        path: std::path::PathBuf,
        /// What failed.
        source: DeepError,
    },
}

/// Most 3-s patches the network runs per track by default, spread evenly
/// over its pieces (one in each of 6 windows of a long track). On two
/// disjoint real corpora `fused` scored the same with 6 as with 18 or every
/// patch (docs/DEEP_MODEL.md, "Speed"), for a third of the network time
/// (~0.02 s per patch on one core); `MUSIM_DEEP_PATCH_BUDGET` changes it
/// (0: no limit).
pub const PATCH_BUDGET: usize = 6;

/// The patch budget in force (see [`PATCH_BUDGET`]; `usize::MAX` = none).
pub fn patch_budget() -> usize {
    match std::env::var("MUSIM_DEEP_PATCH_BUDGET")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        Some(0) => usize::MAX,
        Some(n) => n,
        None => PATCH_BUDGET,
    }
}

/// What an embedding depends on besides the audio: the weights and the
/// patch budget (embeddings made otherwise are not mixed with these).
pub fn identity(model: &DeepModel) -> String {
    match patch_budget() {
        usize::MAX => format!("{}; every patch", model.id()),
        b => format!("{}; at most {b} patches per track", model.id()),
    }
}

/// The deep embedding of `path`: a long track's analysis windows, or a
/// short one whole, fed to the network in pieces of `windows.seconds`
/// (at most [`patch_budget`] patches in all, spread evenly over them).
pub fn embed_file(
    path: &Path,
    windows: &Windows,
    model: Arc<DeepModel>,
) -> Result<DeepEmbedding, EmbedError> {
    let acc = DeepAccumulator::with_model(model);
    feed_file(path, windows, acc, patch_budget())?.finish(path)
}

/// Every patch's network outputs, piece by piece (a long track's windows,
/// or 30-s pieces of a short one), from the same pieces as [`embed_file`]:
/// for studies of which patches, layers or budgets to use (the mean of a
/// budget's patches, picked by [`piece_share`] and [`picked_patches`], is
/// that budget's embedding).
pub fn patches_by_piece(
    path: &Path,
    windows: &Windows,
    model: Arc<DeepModel>,
) -> Result<Vec<PatchOutputs>, EmbedError> {
    mels_by_piece(path, windows)?
        .iter()
        .map(|mel| match mel.n_patches() {
            0 => Ok(PatchOutputs::default()),
            _ => model.run(mel.patches()),
        })
        .collect::<Result<_, _>>()
        .map_err(|source| EmbedError::Deep {
            path: path.to_path_buf(),
            source,
        })
}

/// The log-mel of every piece [`patches_by_piece`] runs the network on
/// (its whole patches are that function's patches), so that a study can
/// feed the very same patches to another network. As in the accumulator, a
/// track with no whole patch anywhere gets its longest piece repeat-padded
/// to one patch, as the only piece.
pub fn mels_by_piece(path: &Path, windows: &Windows) -> Result<Vec<LogMel>, EmbedError> {
    let recorder = Recorder {
        pieces: Vec::new(),
        short: None,
    };
    let mut recorder = feed_file(path, windows, recorder, usize::MAX)?.end().sink;
    if recorder.pieces.iter().all(|p| p.n_patches() == 0) {
        let patch = recorder
            .short
            .take()
            .and_then(|m| m.repeat_padded())
            .ok_or_else(|| {
                EmbedError::from(AudioError::NoAudio {
                    path: path.to_path_buf(),
                })
            })?;
        recorder.pieces = vec![LogMel {
            frames: PATCH_FRAMES,
            data: patch,
        }];
    }
    Ok(recorder.pieces)
}

/// Decode `path` and feed its pieces to `sink` under `budget`.
fn feed_file<S: Sink>(
    path: &Path,
    windows: &Windows,
    sink: S,
    budget: usize,
) -> Result<Feeder<S>, EmbedError> {
    let mut stream = audio::open(path)?;
    let duration = stream.info().duration_s;
    let starts = windows.starts(duration);
    let count = starts.as_ref().map(Vec::len);
    let mut feed = Feeder::new(sink, windows, duration, count, budget);
    match starts {
        Some(starts) => {
            for &t in &starts {
                if feed.failed() || !stream.seek_to(t)? {
                    break;
                }
                if stream.take(feed.len, |c| feed.samples(c))? == 0 {
                    break;
                }
                feed.window_end();
            }
        }
        None => {
            while let Some(chunk) = stream.next_chunk()? {
                if feed.failed() {
                    break;
                }
                feed.samples(&chunk);
            }
        }
    }
    Ok(feed)
}

/// The analysis and the deep embedding of `path` from one decoding (the
/// same pieces, so the same results, as [`crate::analysis::analyze_file_with`]
/// and [`embed_file`]). The analysis fails only on audio errors; the
/// embedding's own failure is returned beside it.
pub fn analyze_and_embed(
    path: &Path,
    windows: &Windows,
    model: Arc<DeepModel>,
) -> Result<(TrackAnalysis, Result<DeepEmbedding, EmbedError>), AudioError> {
    let mut feed: Option<Feeder<DeepAccumulator>> = None;
    let analysis = analyze_file_observed(path, windows, &mut |d| match (d, feed.as_mut()) {
        (
            Decoded::Start {
                duration_s,
                windows: count,
            },
            _,
        ) => {
            let acc = DeepAccumulator::with_model(model.clone());
            feed = Some(Feeder::new(acc, windows, duration_s, count, patch_budget()));
        }
        (Decoded::Samples(c), Some(f)) => f.samples(c),
        (Decoded::WindowEnd, Some(f)) => f.window_end(),
        _ => {}
    })?;
    // The analysis succeeded, so the decoding started.
    let embedding = match feed {
        Some(f) => f.finish(path),
        None => Err(AudioError::NoAudio {
            path: path.to_path_buf(),
        }
        .into()),
    };
    Ok((analysis, embedding))
}

/// Piece `p`'s share of a `budget` of patches over `pieces` pieces:
/// ⌊(p+1)·B/P⌋ − ⌊p·B/P⌋, so the shares add up to the budget and, in a
/// track with more pieces than B (a long track analysed whole), some pieces
/// get none. `usize::MAX` when there is no budget.
pub fn piece_share(budget: usize, pieces: usize, p: usize) -> usize {
    if budget > 1 << 20 {
        return usize::MAX;
    }
    let n = pieces.max(1);
    ((p + 1) * budget / n).saturating_sub(p * budget / n)
}

/// Which of a piece's `n` whole patches run when at most `max` may: all of
/// them, or `max` evenly spaced ones (the middle of each of `max` equal
/// parts).
pub fn picked_patches(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let max = max.max(1);
    (0..max).map(|k| (2 * k + 1) * n / (2 * max)).collect()
}

/// What a [`Feeder`] gives its pieces to.
trait Sink {
    /// One piece (mono 22050 Hz), of which at most `share` patches run.
    fn piece(&mut self, samples: &[f32], share: usize) -> Result<(), DeepError>;
}

impl Sink for DeepAccumulator {
    fn piece(&mut self, samples: &[f32], share: usize) -> Result<(), DeepError> {
        self.push_window_at_most(samples, share)
    }
}

/// Keeps every piece's log-mel ([`mels_by_piece`]).
struct Recorder {
    pieces: Vec<LogMel>,
    /// The longest piece too short for a patch.
    short: Option<LogMel>,
}

impl Sink for Recorder {
    fn piece(&mut self, samples: &[f32], _share: usize) -> Result<(), DeepError> {
        let mel = log_mel(samples);
        if mel.n_patches() == 0 {
            if mel.frames > self.short.as_ref().map_or(0, |m| m.frames) {
                self.short = Some(mel);
            }
            self.pieces.push(LogMel::default());
            return Ok(());
        }
        self.pieces.push(mel);
        Ok(())
    }
}

/// Cuts a track's decoded samples into pieces — its windows, or pieces of
/// `windows.seconds` of a track read whole — and feeds them, in order, to
/// a sink under a patch budget.
struct Feeder<S> {
    sink: S,
    /// Samples per piece.
    len: usize,
    /// True when the pieces are windows (ended by [`Feeder::window_end`]).
    windowed: bool,
    /// Pieces the track will have (for the budget's shares).
    pieces: usize,
    budget: usize,
    /// Index of the next piece.
    next: usize,
    /// The piece being filled.
    piece: Vec<f32>,
    /// The first failure of the network; later pieces are skipped.
    error: Option<DeepError>,
}

impl<S: Sink> Feeder<S> {
    /// For a track of `duration` read in `windows` (`count` of them), or
    /// whole when `count` is `None`.
    fn new(
        sink: S,
        windows: &Windows,
        duration: Option<f64>,
        count: Option<usize>,
        budget: usize,
    ) -> Self {
        let pieces = match (count, duration) {
            (Some(n), _) => n,
            (None, Some(d)) if d.is_finite() && d > 0.0 => {
                (d / f64::from(windows.seconds.max(1))).ceil() as usize
            }
            _ => 1,
        };
        Self {
            sink,
            len: windows.seconds.max(1) as usize * SR as usize,
            windowed: count.is_some(),
            pieces,
            budget,
            next: 0,
            piece: Vec::new(),
            error: None,
        }
    }

    /// Decoded samples, in order. A track read whole is cut into pieces of
    /// exactly `len` samples, wherever the decoder's chunks end.
    fn samples(&mut self, mut c: &[f32]) {
        if self.windowed {
            self.piece.extend_from_slice(c);
            return;
        }
        while !c.is_empty() {
            let (head, rest) = c.split_at((self.len - self.piece.len()).min(c.len()));
            self.piece.extend_from_slice(head);
            c = rest;
            if self.piece.len() == self.len {
                self.flush();
            }
        }
    }

    /// The end of a window.
    fn window_end(&mut self) {
        self.flush();
    }

    /// Whether the network has failed (nothing more is worth decoding).
    fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Feed the piece filled so far, if any, and start the next.
    fn flush(&mut self) {
        if !self.piece.is_empty() && self.error.is_none() {
            let share = piece_share(self.budget, self.pieces, self.next);
            self.next += 1;
            if share > 0 {
                if let Err(e) = self.sink.piece(&self.piece, share) {
                    self.error = Some(e);
                }
            }
        }
        self.piece.clear();
    }

    /// Feed the last, partial piece.
    fn end(mut self) -> Self {
        self.flush();
        self
    }
}

impl Feeder<DeepAccumulator> {
    /// The embedding (the last, partial piece included); no audio at all is
    /// the file's audio error.
    fn finish(self, path: &Path) -> Result<DeepEmbedding, EmbedError> {
        let this = self.end();
        let result = match this.error {
            Some(e) => Err(e),
            None => this.sink.finish(),
        };
        match result {
            Err(DeepError::NoAudio) => Err(AudioError::NoAudio {
                path: path.to_path_buf(),
            }
            .into()),
            r => r.map_err(|source| EmbedError::Deep {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

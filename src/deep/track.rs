//! File → deep embedding, on the same parts of the track as the
//! hand-crafted analysis ([`crate::analysis::Windows`]).

use std::path::Path;
use std::sync::Arc;

use super::{DeepAccumulator, DeepEmbedding, DeepError, DeepModel};
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

/// Most 3-s patches the network runs per track by default: every patch of
/// a 30-s clip (10), 3 per window of a long track (18 of its 60). On real
/// music every patch instead scored the same (docs/DEEP_MODEL.md, "Speed") for
/// 3.3× the network time (~0.02 s per patch on one core);
/// `MUSIM_DEEP_PATCH_BUDGET` changes it (0: no limit).
pub const PATCH_BUDGET: usize = 18;

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
    let mut stream = audio::open(path)?;
    let duration = stream.info().duration_s;
    let starts = windows.starts(duration);
    let mut feed = Feeder::new(model, windows, duration, starts.as_ref().map(Vec::len));
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
    feed.finish(path)
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
    let mut feed: Option<Feeder> = None;
    let analysis = analyze_file_observed(path, windows, &mut |d| match (d, feed.as_mut()) {
        (
            Decoded::Start {
                duration_s,
                windows: count,
            },
            _,
        ) => {
            feed = Some(Feeder::new(model.clone(), windows, duration_s, count));
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

/// Cuts a track's decoded samples into pieces — its windows, or pieces of
/// `windows.seconds` of a track read whole — and feeds them, in order, to
/// an accumulator under the patch budget.
struct Feeder {
    acc: DeepAccumulator,
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

impl Feeder {
    /// For a track of `duration` read in `windows` (`count` of them), or
    /// whole when `count` is `None`.
    fn new(
        model: Arc<DeepModel>,
        windows: &Windows,
        duration: Option<f64>,
        count: Option<usize>,
    ) -> Self {
        let pieces = match (count, duration) {
            (Some(n), _) => n,
            (None, Some(d)) if d.is_finite() && d > 0.0 => {
                (d / f64::from(windows.seconds.max(1))).ceil() as usize
            }
            _ => 1,
        };
        Self {
            acc: DeepAccumulator::with_model(model),
            len: windows.seconds.max(1) as usize * SR as usize,
            windowed: count.is_some(),
            pieces,
            budget: patch_budget(),
            next: 0,
            piece: Vec::new(),
            error: None,
        }
    }

    /// Piece p's share: ⌊(p+1)·B/P⌋ − ⌊p·B/P⌋, so the shares add up to the
    /// budget B and, in a track with more pieces than B (a long track
    /// analysed whole), some pieces get none.
    fn share(&self, p: usize) -> usize {
        if self.budget > 1 << 20 {
            return usize::MAX;
        }
        let n = self.pieces.max(1);
        ((p + 1) * self.budget / n).saturating_sub(p * self.budget / n)
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
            let share = self.share(self.next);
            self.next += 1;
            if share > 0 {
                if let Err(e) = self.acc.push_window_at_most(&self.piece, share) {
                    self.error = Some(e);
                }
            }
        }
        self.piece.clear();
    }

    /// The embedding (the last, partial piece included); no audio at all is
    /// the file's audio error.
    fn finish(mut self, path: &Path) -> Result<DeepEmbedding, EmbedError> {
        self.flush();
        let result = match self.error {
            Some(e) => Err(e),
            None => self.acc.finish(),
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

//! File → deep embedding, on the same parts of the track as the
//! hand-crafted analysis ([`crate::analysis::Windows`]).

use std::path::Path;
use std::sync::Arc;

use super::{DeepAccumulator, DeepEmbedding, DeepError, DeepModel};
use crate::analysis::{analyze_file_observed, Decoded, TrackAnalysis, Windows};
use crate::audio::{self, AudioError, MonoStream};
use crate::features::SR;

/// Why a file's embedding could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// Decoding failed (names the file).
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The network failed.
    #[error("{}: {source}", .path.display())]
    Deep {
        /// The file.
        path: std::path::PathBuf,
        /// What failed.
        source: DeepError,
    },
}

/// Most 3-s patches the network runs per track by default: every patch of
/// a 30-s clip (10), 3 per window of a long track (18 of its 60). On real
/// music every patch instead scored the same (README, "Deep embedding") for
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
    let deep = |source| EmbedError::Deep {
        path: path.to_path_buf(),
        source,
    };
    let mut stream = audio::open(path)?;
    let duration = stream.info().duration_s;
    let starts = windows.starts(duration);
    let mut feed = Feeder::new(model, windows, duration, starts.as_ref().map(Vec::len));
    let len = feed.len;
    match starts {
        Some(starts) => {
            for &t in &starts {
                if !stream.seek_to(t)? {
                    break;
                }
                let w = read(&mut stream, len)?;
                if w.is_empty() {
                    break;
                }
                feed.piece(&w).map_err(deep)?;
            }
        }
        None => loop {
            let w = read(&mut stream, len)?;
            if w.is_empty() {
                break;
            }
            feed.piece(&w).map_err(deep)?;
        },
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
    let mut piece = Vec::new();
    let mut windowed = false;
    let mut failed: Option<DeepError> = None;
    let analysis = analyze_file_observed(path, windows, &mut |d| {
        let Some(f) = feed.as_mut() else {
            if let Decoded::Start {
                duration_s,
                windowed: w,
            } = d
            {
                windowed = w;
                let count = windows.starts(duration_s).map(|s| s.len());
                feed = Some(Feeder::new(model.clone(), windows, duration_s, count));
            }
            return;
        };
        if failed.is_some() {
            return;
        }
        let mut push = |f: &mut Feeder, w: &[f32]| {
            if let Err(e) = f.piece(w) {
                failed = Some(e);
            }
        };
        match d {
            Decoded::Start { .. } => {}
            Decoded::Samples(c) if windowed => piece.extend_from_slice(c),
            // Whole: cut the stream into pieces of exactly `len` samples,
            // as `embed_file` reads them.
            Decoded::Samples(mut c) => {
                while !c.is_empty() {
                    let room = f.len - piece.len();
                    let (head, rest) = c.split_at(room.min(c.len()));
                    piece.extend_from_slice(head);
                    c = rest;
                    if piece.len() == f.len {
                        push(f, &piece);
                        piece.clear();
                    }
                }
            }
            Decoded::WindowEnd => {
                if !piece.is_empty() {
                    push(f, &piece);
                }
                piece.clear();
            }
        }
    })?;
    let embedding = match (feed, failed) {
        (_, Some(e)) => Err(EmbedError::Deep {
            path: path.to_path_buf(),
            source: e,
        }),
        (Some(mut f), None) => {
            let tail = if piece.is_empty() {
                Ok(())
            } else {
                f.piece(&piece)
            };
            match tail {
                Ok(()) => f.finish(path),
                Err(e) => Err(EmbedError::Deep {
                    path: path.to_path_buf(),
                    source: e,
                }),
            }
        }
        (None, None) => Err(AudioError::NoAudio {
            path: path.to_path_buf(),
        }
        .into()),
    };
    Ok((analysis, embedding))
}

/// Feeds a track's pieces, in order, to an accumulator under the patch
/// budget.
struct Feeder {
    acc: DeepAccumulator,
    /// Samples per piece.
    len: usize,
    /// Pieces the track will have (for the budget's shares).
    pieces: usize,
    budget: usize,
    /// Index of the next piece.
    next: usize,
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
            pieces,
            budget: patch_budget(),
            next: 0,
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

    /// The next piece.
    fn piece(&mut self, w: &[f32]) -> Result<(), DeepError> {
        let share = self.share(self.next);
        self.next += 1;
        match share {
            0 => Ok(()),
            max => self.acc.push_window_at_most(w, max),
        }
    }

    /// The embedding; no audio at all is the file's audio error.
    fn finish(self, path: &Path) -> Result<DeepEmbedding, EmbedError> {
        match self.acc.finish() {
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

/// Up to `len` samples from the stream's position.
fn read(stream: &mut MonoStream, len: usize) -> Result<Vec<f32>, AudioError> {
    let mut w = Vec::with_capacity(len);
    stream.take(len, |c| w.extend_from_slice(c))?;
    Ok(w)
}

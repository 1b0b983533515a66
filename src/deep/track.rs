//! File → deep embedding, on the same parts of the track as the
//! hand-crafted analysis ([`crate::analysis::Windows`]).

use std::path::Path;
use std::sync::Arc;

use super::{DeepAccumulator, DeepEmbedding, DeepError, DeepModel};
use crate::analysis::Windows;
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
    let mut acc = DeepAccumulator::with_model(model);
    let len = windows.seconds.max(1) as usize * SR as usize;
    let starts = windows.starts(stream.info().duration_s);
    let pieces = match (&starts, stream.info().duration_s) {
        (Some(s), _) => s.len(),
        (None, Some(d)) if d.is_finite() && d > 0.0 => {
            (d / f64::from(windows.seconds.max(1))).ceil() as usize
        }
        _ => 1,
    };
    let budget = patch_budget();
    // Piece p's share: ⌊(p+1)·B/P⌋ − ⌊p·B/P⌋, so the shares add up to the
    // budget B and, in a track with more pieces than B (a long track
    // analysed whole), some pieces get none.
    let share = |p: usize| -> usize {
        if budget > 1 << 20 {
            return usize::MAX;
        }
        let n = pieces.max(1);
        ((p + 1) * budget / n).saturating_sub(p * budget / n)
    };
    let mut push = |p: usize, w: &[f32]| -> Result<(), EmbedError> {
        match share(p) {
            0 => Ok(()),
            max => acc.push_window_at_most(w, max).map_err(deep),
        }
    };
    match starts {
        Some(starts) => {
            for (p, &t) in starts.iter().enumerate() {
                if !stream.seek_to(t)? {
                    break;
                }
                let w = read(&mut stream, len)?;
                if w.is_empty() {
                    break;
                }
                push(p, &w)?;
            }
        }
        None => {
            let mut p = 0;
            loop {
                let w = read(&mut stream, len)?;
                if w.is_empty() {
                    break;
                }
                push(p, &w)?;
                p += 1;
            }
        }
    }
    match acc.finish() {
        Err(DeepError::NoAudio) => Err(AudioError::NoAudio {
            path: path.to_path_buf(),
        }
        .into()),
        r => r.map_err(deep),
    }
}

/// Up to `len` samples from the stream's position.
fn read(stream: &mut MonoStream, len: usize) -> Result<Vec<f32>, AudioError> {
    let mut w = Vec::with_capacity(len);
    stream.take(len, |c| w.extend_from_slice(c))?;
    Ok(w)
}

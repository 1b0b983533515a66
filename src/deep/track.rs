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

/// The deep embedding of `path`: a long track's analysis windows, or a
/// short one whole, fed to the network in pieces of `windows.seconds`.
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
    match windows.starts(stream.info().duration_s) {
        Some(starts) => {
            for &t in &starts {
                if !stream.seek_to(t)? {
                    break;
                }
                let w = read(&mut stream, len)?;
                if w.is_empty() {
                    break;
                }
                acc.push_window(&w).map_err(deep)?;
            }
        }
        None => loop {
            let w = read(&mut stream, len)?;
            if w.is_empty() {
                break;
            }
            acc.push_window(&w).map_err(deep)?;
        },
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
    while w.len() < len {
        let Some(chunk) = stream.next_chunk()? else {
            break;
        };
        let take = chunk.len().min(len - w.len());
        w.extend_from_slice(&chunk[..take]);
    }
    Ok(w)
}

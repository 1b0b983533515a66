//! The deep embedding: musicnn's MSD network (Pons & Serra 2019, ISC licence)
//! run in pure Rust (its weights read from the ONNX file, the layers written
//! out in `net.rs`), on the log-mel front end it was trained with.
//!
//! Per track: the mean over every 3-s patch of `[mean_pool | max_pool]`
//! (1506 values), and the mean of the 50 MSD tag scores. Feed analysis
//! windows (mono 22050 Hz) to a [`DeepAccumulator`]; each window is cut into
//! whole patches, its tail dropped. A track too short for a single patch is
//! repeat-padded to one (see [`frontend::LogMel::repeat_padded`]).
//!
//! `frontend.rs`: samples → log-mel patches; `model.rs`: the network (loaded
//! once, shared). The model file and its provenance: `assets/models/`.

pub mod frontend;
pub mod kernels;
pub mod model;
pub mod net;
pub mod onnx;
pub mod track;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

pub use frontend::{log_mel, LogMel};
pub use model::{DeepModel, PatchOutputs, MODEL_ENV};
pub use track::{embed_file, EmbedError};

use frontend::PATCH_LEN;
use model::{N_TAGS, POOL_DIM};

/// Width of the embedding: `mean_pool` then `max_pool`.
pub const EMBEDDING_DIM: usize = 2 * POOL_DIM;

/// Why the deep embedding could not be computed. Every model error names the
/// model (its path or "built-in model").
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeepError {
    /// The model file could not be read.
    #[error("deep model {}: cannot read file: {detail}", crate::store::paths::show(.path))]
    ModelIo {
        /// The file.
        path: PathBuf,
        /// The OS error.
        detail: String,
    },
    /// The file is not a usable musicnn ONNX model.
    #[error("deep model {origin}: not a usable musicnn ONNX model: {detail}")]
    ModelInvalid {
        /// The file's path or "built-in model".
        origin: String,
        /// What is wrong.
        detail: String,
    },
    /// Running the network failed.
    #[error("deep model: inference failed: {0}")]
    Inference(String),
    /// Nothing was pushed: no samples at all.
    #[error("no audio to embed")]
    NoAudio,
}

/// A track's deep embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepEmbedding {
    /// Mean over patches of `[mean_pool | max_pool]`, [`EMBEDDING_DIM`] values.
    pub embedding: Vec<f32>,
    /// Mean over patches of the 50 tag scores (0–1), in [`tag_names`] order.
    pub tags: Vec<f32>,
    /// Number of patches averaged.
    pub patches: usize,
    /// True when the audio was shorter than one patch and was repeat-padded.
    pub repeat_padded: bool,
}

/// Accumulates a track's patches window by window.
#[derive(Debug)]
pub struct DeepAccumulator {
    model: Arc<DeepModel>,
    sum_embedding: Vec<f64>,
    sum_tags: Vec<f64>,
    patches: usize,
    /// While no window has given a whole patch: the longest window's log-mel,
    /// repeat-padded at the end if nothing better comes.
    short: Option<LogMel>,
}

impl DeepAccumulator {
    /// An accumulator on the shared model (loaded on first use; see
    /// [`model::shared`]). Fails when the model cannot be loaded.
    pub fn new() -> Result<Self, DeepError> {
        Ok(Self::with_model(model::shared()?))
    }

    /// An accumulator on a given model.
    pub fn with_model(model: Arc<DeepModel>) -> Self {
        Self {
            model,
            sum_embedding: vec![0.0; EMBEDDING_DIM],
            sum_tags: vec![0.0; N_TAGS],
            patches: 0,
            short: None,
        }
    }

    /// Add one analysis window (mono 22050 Hz, typically up to 30 s): its
    /// whole 3-s patches go through the network; its tail is dropped.
    pub fn push_window(&mut self, y_22050: &[f32]) -> Result<(), DeepError> {
        self.push_window_at_most(y_22050, usize::MAX)
    }

    /// [`Self::push_window`] running at most `max` of the window's whole
    /// patches through the network, evenly spaced over it (the network is
    /// nearly all the cost, and the mean over a long track's patches
    /// changes little when it has fewer of them).
    pub fn push_window_at_most(&mut self, y_22050: &[f32], max: usize) -> Result<(), DeepError> {
        let n = frontend::patches_in(y_22050.len());
        if n > max {
            // A few patches of many: only their samples go through the
            // front end.
            let picked: Vec<f32> = track::picked_patches(n, max)
                .into_iter()
                .filter_map(|i| frontend::patch_of(y_22050, i))
                .flatten()
                .collect();
            if !picked.is_empty() {
                self.short = None;
                let out = self.model.run(&picked)?;
                self.add(&out);
                return Ok(());
            }
        }
        let mel = log_mel(y_22050);
        if mel.n_patches() == 0 {
            if self.patches == 0 && mel.frames > self.short.as_ref().map_or(0, |m| m.frames) {
                self.short = Some(mel);
            }
            return Ok(());
        }
        self.short = None;
        let out = self.model.run(mel.patches())?;
        self.add(&out);
        Ok(())
    }

    /// The track's embedding. With no whole patch, the longest short window
    /// is repeat-padded to one; with no samples at all, [`DeepError::NoAudio`].
    pub fn finish(mut self) -> Result<DeepEmbedding, DeepError> {
        let mut repeat_padded = false;
        if self.patches == 0 {
            let patch = self
                .short
                .take()
                .and_then(|m| m.repeat_padded())
                .ok_or(DeepError::NoAudio)?;
            debug_assert_eq!(patch.len(), PATCH_LEN);
            let out = self.model.run(&patch)?;
            self.add(&out);
            repeat_padded = true;
        }
        let n = self.patches as f64;
        Ok(DeepEmbedding {
            embedding: self.sum_embedding.iter().map(|s| (s / n) as f32).collect(),
            tags: self.sum_tags.iter().map(|s| (s / n) as f32).collect(),
            patches: self.patches,
            repeat_padded,
        })
    }

    /// Add every patch's `[mean_pool | max_pool]` and tags to the sums.
    fn add(&mut self, out: &PatchOutputs) {
        let rows = out
            .mean_pool
            .chunks_exact(POOL_DIM)
            .zip(out.max_pool.chunks_exact(POOL_DIM))
            .zip(out.taggram.chunks_exact(N_TAGS));
        for ((mean, max), tags) in rows {
            let (s_mean, s_max) = self.sum_embedding.split_at_mut(POOL_DIM);
            for (s, &v) in s_mean.iter_mut().zip(mean) {
                *s += v as f64;
            }
            for (s, &v) in s_max.iter_mut().zip(max) {
                *s += v as f64;
            }
            for (s, &v) in self.sum_tags.iter_mut().zip(tags) {
                *s += v as f64;
            }
            self.patches += 1;
        }
    }
}

/// The 50 MSD tag names, in the order of the MSD model's `taggram`.
pub fn msd_tag_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        include_str!("../../assets/models/musicnn-msd.tags.txt")
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// The tag names of the model in force, in `taggram` order: a file named
/// by `MUSIM_DEEP_MODEL` that carries its own (another musicnn network,
/// e.g. MagnaTagATune's) gives those, so its scores are not shown under
/// MSD names; otherwise the MSD names.
pub fn tag_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let named = std::env::var_os(MODEL_ENV).filter(|v| !v.is_empty());
        let model = named.and_then(|_| model::shared().ok());
        tag_names_of(model.as_deref())
    })
}

/// `model`'s own tag names, made safe for the terminal (they come from a
/// file), or the MSD names when it has none or there is no model.
pub fn tag_names_of(model: Option<&DeepModel>) -> Vec<String> {
    match model.and_then(DeepModel::tags) {
        Some(own) => own
            .iter()
            .map(|n| crate::store::text::safe(n).into_owned())
            .collect(),
        None => msd_tag_names().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_tags_in_model_order() {
        let t = msd_tag_names();
        assert_eq!(t.len(), N_TAGS);
        assert_eq!(t[0], "rock");
        assert_eq!(t[9], "jazz");
        assert_eq!(t[49], "happy");
    }
}

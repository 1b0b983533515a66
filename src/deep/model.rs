//! The musicnn network: its weights read from the ONNX file once, run by
//! [`super::net`], shared by every thread.
//!
//! The model is embedded in the binary; `MUSIM_DEEP_MODEL` names another file
//! (a re-export, or to test what a missing or damaged file does). Loading
//! checks the interface (input `melspec:0`; outputs `max_pool`, `mean_pool`,
//! `penultimate`, `taggram`), every weight's shape, and runs one silent patch, so a wrong or damaged file is reported at load time, by
//! name, and never reaches the analysis.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use super::frontend::{N_MELS, PATCH_FRAMES, PATCH_LEN};
use super::kernels::Kernels;
use super::net::{self, Network, Scratch};
use super::{onnx, DeepError};

/// Environment variable naming a model file to use instead of the built-in one.
pub const MODEL_ENV: &str = "MUSIM_DEEP_MODEL";
/// Name of the network's input.
pub const INPUT: &str = "melspec:0";
/// Names of the outputs, in the order [`PatchOutputs`] holds them.
pub const OUTPUTS: [&str; 4] = ["max_pool", "mean_pool", "penultimate", "taggram"];
/// Width of `max_pool` and `mean_pool`.
pub const POOL_DIM: usize = net::POOL;
/// Width of `penultimate`.
pub const PENULTIMATE_DIM: usize = net::PENULTIMATE;
/// Number of tags (width of `taggram`).
pub const N_TAGS: usize = net::TAGS;

/// Metadata key under which `tools/musicnn/convert.py` stores a network's
/// tag names, one per line, in `taggram` order (the MSD model, built in,
/// has none: its names are `assets/models/musicnn-msd.tags.txt`).
pub const TAGS_KEY: &str = "musicnn.tags";

/// The built-in model: musicnn MSD, converted by `tools/musicnn/convert.py`.
static BUILT_IN: &[u8] = include_bytes!("../../assets/models/musicnn-msd.onnx");

/// The network's outputs for a run of patches, row-major, one row per patch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatchOutputs {
    /// Number of patches.
    pub patches: usize,
    /// `max_pool`, patches × 753.
    pub max_pool: Vec<f32>,
    /// `mean_pool`, patches × 753.
    pub mean_pool: Vec<f32>,
    /// `penultimate`, patches × 200.
    pub penultimate: Vec<f32>,
    /// `taggram` (sigmoid tag scores), patches × 50.
    pub taggram: Vec<f32>,
}

/// A loaded musicnn network.
pub struct DeepModel {
    network: Network,
    origin: String,
    /// Identity of the weights: embeddings from other weights do not mix.
    id: String,
    /// The network's own tag names ([`TAGS_KEY`]), when the file has them.
    tags: Option<Vec<String>>,
}

impl std::fmt::Debug for DeepModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeepModel")
            .field("origin", &self.origin)
            .field("kernels", &self.network.kernels())
            .finish()
    }
}

impl DeepModel {
    /// The built-in model.
    pub fn built_in() -> Result<Self, DeepError> {
        Self::from_bytes(BUILT_IN, "built-in model")
    }

    /// The model in the ONNX file at `path`.
    pub fn from_path(path: &Path) -> Result<Self, DeepError> {
        let bytes = std::fs::read(path).map_err(|e| DeepError::ModelIo {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        Self::from_bytes(&bytes, &crate::store::paths::show(path))
    }

    /// A model from ONNX bytes; `origin` names it in messages.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, DeepError> {
        let invalid = |detail: String| DeepError::ModelInvalid {
            origin: origin.to_string(),
            detail,
        };
        if bytes.is_empty() {
            return Err(invalid("the file is empty".into()));
        }
        let file = onnx::parse(bytes).map_err(|e| invalid(e.to_string()))?;
        if file.inputs != [INPUT] {
            return Err(invalid(format!(
                "expected one input {INPUT}, found {:?}",
                file.inputs
            )));
        }
        if let Some(missing) = OUTPUTS
            .iter()
            .find(|o| !file.outputs.iter().any(|n| n == *o))
        {
            return Err(invalid(format!("it has no output {missing}")));
        }
        let tags = match file.metadata.iter().find(|(k, _)| k == TAGS_KEY) {
            None => None,
            Some((_, text)) => {
                let names: Vec<String> = text.lines().map(str::to_string).collect();
                if names.len() != N_TAGS || names.iter().any(|n| n.trim().is_empty()) {
                    return Err(invalid(format!(
                        "its {TAGS_KEY} metadata holds {} lines, not {N_TAGS} tag names",
                        names.len()
                    )));
                }
                Some(names)
            }
        };
        let network = Network::load(&file).map_err(|e| invalid(e.to_string()))?;
        let model = Self {
            tags,
            network,
            origin: origin.to_string(),
            id: format!(
                "musicnn {} bytes fnv {:016x}",
                bytes.len(),
                crate::store::fnv1a64(bytes)
            ),
        };
        // One silent patch: proves the weights give finite outputs.
        let check = model.run(&vec![0.0; PATCH_LEN])?;
        let finite = [
            &check.max_pool,
            &check.mean_pool,
            &check.penultimate,
            &check.taggram,
        ]
        .iter()
        .all(|v| v.iter().all(|x| x.is_finite()));
        if !finite {
            return Err(invalid(
                "it gives NaN or infinite outputs on silence".into(),
            ));
        }
        Ok(model)
    }

    /// The same model on other kernels (tests compare AVX2 and portable).
    pub fn with_kernels(self, kernels: Kernels) -> Self {
        Self {
            network: self.network.with_kernels(kernels),
            ..self
        }
    }

    /// Identity of the weights (size and hash of the ONNX file).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The network's own tag names, in `taggram` order; `None` for a file
    /// without them (the MSD model, whose names are [`super::msd_tag_names`]).
    pub fn tags(&self) -> Option<&[String]> {
        self.tags.as_deref()
    }

    /// Where the model came from ("built-in model" or its path).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Run the network on whole patches laid back to back
    /// (`patches.len()` must be a multiple of 187 × 96).
    pub fn run(&self, patches: &[f32]) -> Result<PatchOutputs, DeepError> {
        if !patches.len().is_multiple_of(PATCH_LEN) {
            return Err(DeepError::Inference(format!(
                "{} values are not a whole number of {PATCH_FRAMES}×{N_MELS} patches",
                patches.len()
            )));
        }
        let n = patches.len() / PATCH_LEN;
        let mut out = PatchOutputs {
            patches: n,
            ..Default::default()
        };
        // Patches are independent: a lone query's run on both cores (in the
        // library's analysis, tracks already are; rayon nests without
        // oversubscribing). The outputs keep the patches' order.
        let outputs: Vec<net::Outputs> = patches
            .par_chunks_exact(PATCH_LEN)
            .map_init(Scratch::default, |scratch, patch| {
                self.network.run(patch, scratch)
            })
            .collect();
        for o in &outputs {
            out.max_pool.extend_from_slice(&o.max_pool);
            out.mean_pool.extend_from_slice(&o.mean_pool);
            out.penultimate.extend_from_slice(&o.penultimate);
            out.taggram.extend_from_slice(&o.taggram);
        }
        Ok(out)
    }
}

/// The shared model: `$MUSIM_DEEP_MODEL` if set, else the built-in one;
/// loaded on first use. A failure is remembered (and reported again to every
/// caller) so a bad file is not re-read for each track.
pub fn shared() -> Result<Arc<DeepModel>, DeepError> {
    static SHARED: OnceLock<Result<Arc<DeepModel>, DeepError>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            match std::env::var_os(MODEL_ENV).filter(|v| !v.is_empty()) {
                Some(path) => DeepModel::from_path(&PathBuf::from(path)),
                None => DeepModel::built_in(),
            }
            .map(Arc::new)
        })
        .clone()
}

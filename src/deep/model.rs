//! The musicnn network (ONNX, run by tract): loaded once, optimised for a
//! fixed batch of patches, shared by every thread.
//!
//! The model is embedded in the binary; `MUSIM_DEEP_MODEL` names another file
//! (a re-export, or to test what a missing or damaged file does). Loading
//! checks the interface (input `melspec:0` [N, 187, 96]; outputs `max_pool`,
//! `mean_pool` [N, 753], `penultimate` [N, 200], `taggram` [N, 50]) and runs
//! one silent patch, so a wrong or damaged file is reported at load time, by
//! name, and never reaches the analysis.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use tract_onnx::prelude::*;

use super::frontend::{N_MELS, PATCH_FRAMES, PATCH_LEN};
use super::DeepError;

/// Environment variable naming a model file to use instead of the built-in one.
pub const MODEL_ENV: &str = "MUSIM_DEEP_MODEL";
/// Name of the network's input.
pub const INPUT: &str = "melspec:0";
/// Names of the outputs, in the order [`PatchOutputs`] holds them.
pub const OUTPUTS: [&str; 4] = ["max_pool", "mean_pool", "penultimate", "taggram"];
/// Width of `max_pool` and `mean_pool`.
pub const POOL_DIM: usize = 753;
/// Width of `penultimate`.
pub const PENULTIMATE_DIM: usize = 200;
/// Number of tags (width of `taggram`).
pub const N_TAGS: usize = 50;
/// Patches per network call. One 30-s window is 10 patches, but tract runs
/// this graph about 3× slower per patch in batches of 2, 5 or 10 than one at
/// a time (`DEEP_BENCH=batch cargo bench --bench deep`).
pub const BATCH: usize = 1;

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

type Plan = TypedSimplePlan<TypedModel>;

/// A loaded, optimised musicnn network.
pub struct DeepModel {
    plan: Plan,
    batch: usize,
    origin: String,
    /// Identity of the weights: embeddings from other weights do not mix.
    id: String,
}

impl std::fmt::Debug for DeepModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeepModel")
            .field("origin", &self.origin)
            .field("batch", &self.batch)
            .finish()
    }
}

impl DeepModel {
    /// The built-in model.
    pub fn built_in() -> Result<Self, DeepError> {
        Self::from_bytes(BUILT_IN, "built-in model", BATCH)
    }

    /// The model in the ONNX file at `path`.
    pub fn from_path(path: &Path) -> Result<Self, DeepError> {
        let bytes = std::fs::read(path).map_err(|e| DeepError::ModelIo {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        Self::from_bytes(&bytes, &path.display().to_string(), BATCH)
    }

    /// A model from ONNX bytes, optimised for `batch` patches per call;
    /// `origin` names it in messages.
    pub fn from_bytes(bytes: &[u8], origin: &str, batch: usize) -> Result<Self, DeepError> {
        let invalid = |detail: String| DeepError::ModelInvalid {
            origin: origin.to_string(),
            detail,
        };
        if bytes.is_empty() {
            return Err(invalid("the file is empty".into()));
        }
        let batch = batch.max(1);
        let plan = build_plan(bytes, batch).map_err(|e| invalid(format!("{e:#}")))?;
        let model = Self {
            plan,
            batch,
            origin: origin.to_string(),
            id: format!(
                "musicnn {} bytes fnv {:016x}",
                bytes.len(),
                crate::library::fnv1a64(bytes)
            ),
        };
        // One silent patch: proves the graph runs and gives finite outputs.
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

    /// Identity of the weights (size and hash of the ONNX file).
    pub fn id(&self) -> &str {
        &self.id
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
        for chunk in patches.chunks(self.batch * PATCH_LEN) {
            self.run_batch(chunk, &mut out)?;
        }
        Ok(out)
    }

    /// One call of the network on up to `batch` patches (a short last batch
    /// is padded with silence and its extra rows dropped).
    fn run_batch(&self, chunk: &[f32], out: &mut PatchOutputs) -> Result<(), DeepError> {
        let n = chunk.len() / PATCH_LEN;
        let mut data = chunk.to_vec();
        data.resize(self.batch * PATCH_LEN, 0.0);
        let input = Tensor::from_shape(&[self.batch, PATCH_FRAMES, N_MELS], &data)
            .map_err(|e| DeepError::Inference(format!("{e:#}")))?;
        let result = self
            .plan
            .run(tvec!(input.into()))
            .map_err(|e| DeepError::Inference(format!("{}: {e:#}", self.origin)))?;
        let widths = [POOL_DIM, POOL_DIM, PENULTIMATE_DIM, N_TAGS];
        let sinks = [
            &mut out.max_pool,
            &mut out.mean_pool,
            &mut out.penultimate,
            &mut out.taggram,
        ];
        for (((value, width), sink), name) in result.iter().zip(widths).zip(sinks).zip(OUTPUTS) {
            let view = value
                .as_slice::<f32>()
                .map_err(|e| DeepError::Inference(format!("output {name}: {e:#}")))?;
            if view.len() != self.batch * width {
                return Err(DeepError::Inference(format!(
                    "output {name} has {} values, expected {}",
                    view.len(),
                    self.batch * width
                )));
            }
            sink.extend_from_slice(&view[..n * width]);
        }
        Ok(())
    }
}

/// Parse, type, check and optimise the ONNX graph for `batch` patches.
fn build_plan(bytes: &[u8], batch: usize) -> TractResult<Plan> {
    let mut model = tract_onnx::onnx().model_for_read(&mut &bytes[..])?;
    let inputs = model.input_outlets()?.len();
    if inputs != 1 {
        anyhow::bail!("expected one input ({INPUT}), found {inputs}");
    }
    let name = &model.node(model.input_outlets()?[0].node).name;
    if name != INPUT && format!("{name}:0") != INPUT {
        anyhow::bail!("expected the input {INPUT}, found {name}");
    }
    model.set_output_names(OUTPUTS)?;
    let model = model
        .with_input_fact(0, f32::fact([batch, PATCH_FRAMES, N_MELS]).into())?
        .into_typed()?;
    let widths = [POOL_DIM, POOL_DIM, PENULTIMATE_DIM, N_TAGS];
    for (outlet, (name, width)) in model
        .output_outlets()?
        .iter()
        .zip(OUTPUTS.iter().zip(widths))
    {
        let fact = model.outlet_fact(*outlet)?;
        let shape: Vec<TDim> = fact.shape.iter().cloned().collect();
        let want: Vec<TDim> = vec![batch.into(), width.into()];
        if fact.datum_type != f32::datum_type() || shape != want {
            anyhow::bail!(
                "output {name} is {:?} {:?}, expected f32 [{batch}, {width}]",
                fact.datum_type,
                shape
            );
        }
    }
    model.into_optimized()?.into_runnable()
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

//! musicnn's MSD network, written out layer by layer over its weights.
//!
//! The graph (Pons & Serra 2019, as exported by `tools/musicnn/convert.py`):
//! input batch-norm; a front end of two *timbral* convolutions (7×38 and
//! 7×67 kernels over time × mel bands, 204 filters each) and three
//! *temporal* ones (32, 64 and 128 frames long, 51 filters each), every one
//! followed by ReLU, batch-norm and a max over frequency; a midend of three
//! 7-frame convolutions with 64 filters and residual sums; max and mean over
//! time; a dense backend to the 50 tags.
//!
//! The timbral convolutions are 81 % of the network's 1.4 G multiply-adds
//! when done directly. Here they are done along frequency in the Fourier
//! domain (a 96-point DFT of each padded input row; per bin, the product
//! with each filter tap's spectrum summed over the 7 taps; back to the
//! valid frequency positions by a real inverse DFT as a matrix product),
//! which is the same linear map in 2.6× fewer operations. Batch-norm after
//! ReLU is monotonic per filter, so the max over frequency is taken on the
//! raw sums (the min when the batch-norm scale is negative).

use super::kernels::{Kernels, BANDS, NB, TAPS};
use super::onnx::{OnnxFile, Tensor};

/// Frames per patch.
pub const FRAMES: usize = 187;
/// Width of the front end's output (2 × 204 + 3 × 51).
pub const FRONT: usize = 561;
/// Midend filters.
pub const MID: usize = 64;
/// Width of `max_pool` / `mean_pool`.
pub const POOL: usize = FRONT + 3 * MID;
/// Width of `penultimate`.
pub const PENULTIMATE: usize = 200;
/// Number of tags.
pub const TAGS: usize = 50;

/// TensorFlow's batch-norm epsilon in the exported graph.
const BN_EPS: f32 = 1e-3;
/// Frequency bins of a real 96-point DFT (0..=48).
const BINS: usize = BANDS / 2 + 1;
/// Padded input rows: 3 zero frames each side for the 7-tap kernels.
const PADDED: usize = FRAMES + TAPS - 1;
/// Width of a row of spectra (2·BINS values, padded to whole blocks).
const S_STRIDE: usize = 2 * BINS.div_ceil(NB) * NB;
/// Timbral filters.
const TIMBRAL: usize = 204;
/// Timbral filter blocks (204 → 208).
const T_BLOCKS: usize = TIMBRAL.div_ceil(NB);
/// Temporal filters per bank.
const TEMPORAL: usize = 51;

/// One patch's outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs {
    /// Max over time of the concatenated features (753).
    pub max_pool: Vec<f32>,
    /// Mean over time (753).
    pub mean_pool: Vec<f32>,
    /// The 200-unit layer before the tags.
    pub penultimate: Vec<f32>,
    /// Sigmoid tag scores (50).
    pub taggram: Vec<f32>,
}

/// Per-channel affine map of an inference-mode batch-norm.
#[derive(Debug, Clone)]
struct Affine {
    scale: Vec<f32>,
    shift: Vec<f32>,
}

impl Affine {
    /// `scale·(x − mean)/√(var + ε) + beta` as one multiply-add per value.
    fn batch_norm(w: &Weights, name: &str, n: usize) -> Result<Self, WeightError> {
        let prefix = format!("{name}/");
        let gamma = w.get(&format!("{prefix}ReadVariableOp:0"), &[n])?;
        let beta = w.get(&format!("{prefix}ReadVariableOp_1:0"), &[n])?;
        let mean = w.get(&format!("{prefix}FusedBatchNormV3/ReadVariableOp:0"), &[n])?;
        let var = w.get(
            &format!("{prefix}FusedBatchNormV3/ReadVariableOp_1:0"),
            &[n],
        )?;
        let mut a = Self {
            scale: Vec::with_capacity(n),
            shift: Vec::with_capacity(n),
        };
        for i in 0..n {
            let s = gamma[i] / (var[i] + BN_EPS).sqrt();
            a.scale.push(s);
            a.shift.push(beta[i] - mean[i] * s);
        }
        Ok(a)
    }

    /// The backend's batch-norms, exported already folded to `mul` and `sub`.
    fn folded(w: &Weights, name: &str, n: usize) -> Result<Self, WeightError> {
        Ok(Self {
            scale: w.get(&format!("{name}/batchnorm/mul:0"), &[n])?.to_vec(),
            shift: w.get(&format!("{name}/batchnorm/sub:0"), &[n])?.to_vec(),
        })
    }

    /// Batch-norm of ReLU of `z` (the pooled extreme) for filter `c`.
    #[inline]
    fn relu_bn(&self, c: usize, z: f32) -> f32 {
        self.scale[c] * z.max(0.0) + self.shift[c]
    }
}

/// Why the network cannot be built from a file's weights.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightError {
    /// No weight of this name.
    #[error("weight {name} is missing")]
    Missing {
        /// The weight's name.
        name: String,
    },
    /// The weight is there with another shape.
    #[error("weight {name} has shape {found:?}, expected {expected:?}")]
    Shape {
        /// The weight's name.
        name: String,
        /// Its shape in the file.
        found: Vec<usize>,
        /// The shape the network needs.
        expected: Vec<usize>,
    },
    /// The weight holds NaN or infinite values.
    #[error("weight {name} holds NaN or infinite values")]
    NotFinite {
        /// The weight's name.
        name: String,
    },
}

/// A weight lookup that explains what is missing or misshapen.
struct Weights<'a>(&'a OnnxFile);

impl Weights<'_> {
    fn get(&self, name: &str, dims: &[usize]) -> Result<&[f32], WeightError> {
        let t: &Tensor = self
            .0
            .weights
            .get(name)
            .ok_or_else(|| WeightError::Missing { name: name.into() })?;
        if t.dims != dims {
            return Err(WeightError::Shape {
                name: name.into(),
                found: t.dims.clone(),
                expected: dims.to_vec(),
            });
        }
        if t.data.iter().any(|v| !v.is_finite()) {
            return Err(WeightError::NotFinite { name: name.into() });
        }
        Ok(&t.data)
    }
}

/// A timbral convolution in the Fourier domain.
#[derive(Debug, Clone)]
struct Timbral {
    /// Valid frequency positions (96 − width + 1).
    positions: usize,
    /// Conjugated filter spectra, `[bin][block][tap][re×16 | im×16]`.
    spectra: Vec<f32>,
    /// Inverse transform, `[position][2·BINS]` (bin q at 2q, 2q+1).
    inverse: Vec<f32>,
    bias: Vec<f32>,
    bn: Affine,
}

impl Timbral {
    fn load(w: &Weights, conv: &str, bn: &str, width: usize) -> Result<Self, WeightError> {
        let k = w.get(
            &format!("{conv}/Conv2D/ReadVariableOp:0"),
            &[TIMBRAL, 1, TAPS, width],
        )?;
        let bias = w.get(&format!("{conv}/BiasAdd/ReadVariableOp:0"), &[TIMBRAL])?;
        let n = BANDS as f64;
        // cos and sin of 2π·j/96, indexed by (q·f) mod 96.
        let (cos, sin): (Vec<f64>, Vec<f64>) = (0..BANDS)
            .map(|j| (angle(j, 1).cos(), angle(j, 1).sin()))
            .unzip();
        // H = conj(K̂): the DFT of the zero-padded taps, conjugated, because
        // the network correlates (y[f] = Σ x[f + d]·k[d]).
        let mut spectra = vec![0.0f32; BINS * T_BLOCKS * TAPS * 2 * NB];
        for q in 0..BINS {
            for c in 0..TIMBRAL {
                let (cb, l) = (c / NB, c % NB);
                for d in 0..TAPS {
                    let taps = &k[(c * TAPS + d) * width..][..width];
                    let (mut re, mut im) = (0.0f64, 0.0f64);
                    for (f, &v) in taps.iter().enumerate() {
                        re += v as f64 * cos[(q * f) % BANDS];
                        im += v as f64 * sin[(q * f) % BANDS];
                    }
                    let at = ((q * T_BLOCKS + cb) * TAPS + d) * 2 * NB + l;
                    spectra[at] = re as f32;
                    spectra[at + NB] = im as f32;
                }
            }
        }
        // y[f] = (1/96)·(Ŷ₀ + (−1)^f·Ŷ₄₈ + 2·Σ_{q=1}^{47} Re(Ŷ_q·e^{2πiqf/96})).
        let positions = BANDS - width + 1;
        let mut inverse = vec![0.0f32; positions * 2 * BINS];
        for f in 0..positions {
            for q in 0..BINS {
                let edge = q == 0 || q == BINS - 1;
                let g = if edge { 1.0 / n } else { 2.0 / n };
                inverse[f * 2 * BINS + 2 * q] = (g * angle(q, f).cos()) as f32;
                inverse[f * 2 * BINS + 2 * q + 1] = if edge {
                    0.0
                } else {
                    (-g * angle(q, f).sin()) as f32
                };
            }
        }
        Ok(Self {
            positions,
            spectra,
            inverse,
            bias: bias.to_vec(),
            bn: Affine::batch_norm(w, bn, TIMBRAL)?,
        })
    }
}

/// A temporal filter bank.
#[derive(Debug, Clone)]
struct Temporal {
    taps: usize,
    /// Zero frames before the input ('same' padding: taps/2 − 1).
    lead: usize,
    weights: Vec<f32>,
    bias: Vec<f32>,
    bn: Affine,
}

impl Temporal {
    fn load(w: &Weights, conv: &str, bn: &str, taps: usize) -> Result<Self, WeightError> {
        Ok(Self {
            taps,
            lead: taps / 2 - 1,
            weights: w
                .get(
                    &format!("{conv}/Conv2D/ReadVariableOp:0"),
                    &[TEMPORAL, 1, taps, 1],
                )?
                .to_vec(),
            bias: w
                .get(&format!("{conv}/BiasAdd/ReadVariableOp:0"), &[TEMPORAL])?
                .to_vec(),
            bn: Affine::batch_norm(w, bn, TEMPORAL)?,
        })
    }
}

/// A midend convolution: 7 frames × all input channels → 64.
#[derive(Debug, Clone)]
struct Midend {
    inputs: usize,
    /// `[block][tap·inputs + i][16]`.
    packed: Vec<f32>,
    bias: Vec<f32>,
    bn: Affine,
}

impl Midend {
    fn load(w: &Weights, conv: &str, bn: &str, inputs: usize) -> Result<Self, WeightError> {
        let k = w.get(
            &format!("{conv}/Conv2D/ReadVariableOp:0"),
            &[MID, 1, TAPS, inputs],
        )?;
        let depth = TAPS * inputs;
        let mut packed = vec![0.0f32; MID * depth];
        for o in 0..MID {
            for p in 0..depth {
                packed[(o / NB) * depth * NB + p * NB + o % NB] = k[o * depth + p];
            }
        }
        Ok(Self {
            inputs,
            packed,
            bias: w
                .get(&format!("{conv}/BiasAdd/ReadVariableOp:0"), &[MID])?
                .to_vec(),
            bn: Affine::batch_norm(w, bn, MID)?,
        })
    }

    /// `out[t][o] = bn(relu(bias + Σ_{d,i} x[t + d][i]·k[o][d][i]))` over a
    /// zero-padded input of `FRAMES + 6` rows.
    fn run(&self, kernels: Kernels, padded: &[f32], out: &mut [f32]) {
        let depth = TAPS * self.inputs;
        kernels.gemm(
            padded,
            self.inputs,
            FRAMES,
            depth,
            &self.packed,
            MID / NB,
            out,
            MID,
        );
        for row in out.chunks_exact_mut(MID) {
            for (o, v) in row.iter_mut().enumerate() {
                *v = self.bn.relu_bn(o, *v + self.bias[o]);
            }
        }
    }
}

/// The network, ready to run.
#[derive(Debug, Clone)]
pub struct Network {
    kernels: Kernels,
    input_bn: (f32, f32),
    /// The 96-point real DFT, packed for [`Kernels::gemm`].
    dft: Vec<f32>,
    timbral: [Timbral; 2],
    temporal: [Temporal; 3],
    midend: [Midend; 3],
    pool_bn: Affine,
    dense: Vec<f32>,
    dense_bias: Vec<f32>,
    dense_bn: Affine,
    tags: Vec<f32>,
    tags_bias: Vec<f32>,
}

impl Network {
    /// The network from an ONNX file's weights; the error names the first
    /// weight that is missing, misshapen or not finite.
    pub fn load(file: &OnnxFile) -> Result<Self, WeightError> {
        let w = Weights(file);
        let input = Affine::batch_norm(&w, "batch_normalization", 1)?;
        let mut dft = vec![0.0f32; S_STRIDE * BANDS];
        for f in 0..BANDS {
            for q in 0..BINS {
                let a = angle(q, f);
                for (col, v) in [(2 * q, a.cos()), (2 * q + 1, -a.sin())] {
                    dft[(col / NB) * BANDS * NB + f * NB + col % NB] = v as f32;
                }
            }
        }
        Ok(Self {
            kernels: Kernels::detect(),
            input_bn: (input.scale[0], input.shift[0]),
            dft,
            timbral: [
                Timbral::load(&w, "conv2d", "batch_normalization_1", 38)?,
                Timbral::load(&w, "conv2d_1", "batch_normalization_2", 67)?,
            ],
            temporal: [
                Temporal::load(&w, "conv2d_2", "batch_normalization_3", 128)?,
                Temporal::load(&w, "conv2d_3", "batch_normalization_4", 64)?,
                Temporal::load(&w, "conv2d_4", "batch_normalization_5", 32)?,
            ],
            midend: [
                Midend::load(&w, "conv2d_5", "batch_normalization_6", FRONT)?,
                Midend::load(&w, "conv2d_6", "batch_normalization_7", MID)?,
                Midend::load(&w, "conv2d_7", "batch_normalization_8", MID)?,
            ],
            pool_bn: Affine::folded(&w, "batch_normalization_9", 2 * POOL)?,
            dense: w
                .get("dense/MatMul/ReadVariableOp:0", &[2 * POOL, PENULTIMATE])?
                .to_vec(),
            dense_bias: w
                .get("dense/BiasAdd/ReadVariableOp:0", &[PENULTIMATE])?
                .to_vec(),
            dense_bn: Affine::folded(&w, "batch_normalization_10", PENULTIMATE)?,
            tags: w
                .get("dense_1/MatMul/ReadVariableOp:0", &[PENULTIMATE, TAGS])?
                .to_vec(),
            tags_bias: w.get("dense_1/BiasAdd/ReadVariableOp:0", &[TAGS])?.to_vec(),
        })
    }

    /// Which kernels run.
    pub fn kernels(&self) -> Kernels {
        self.kernels
    }

    /// Run on other kernels (tests compare the two).
    pub fn with_kernels(mut self, kernels: Kernels) -> Self {
        self.kernels = kernels;
        self
    }

    /// One patch (187 frames × 96 bands, row-major) through the network.
    pub fn run(&self, patch: &[f32], scratch: &mut Scratch) -> Outputs {
        assert_eq!(patch.len(), FRAMES * BANDS, "one whole patch");
        let k = self.kernels;
        let s = scratch;
        // Input batch-norm, into rows 3..190 of the zero-padded input.
        let (a, b) = self.input_bn;
        s.padded.fill(0.0);
        let body = &mut s.padded[3 * BANDS..(3 + FRAMES) * BANDS];
        for (dst, &x) in body.iter_mut().zip(patch) {
            *dst = a * x + b;
        }
        // Front end → features[3 + t][0..561] (zero rows around, for the midend).
        s.features.fill(0.0);
        k.gemm(
            &s.padded,
            BANDS,
            PADDED,
            BANDS,
            &self.dft,
            S_STRIDE / NB,
            &mut s.spectra,
            S_STRIDE,
        );
        let mut column = 0;
        for tb in &self.timbral {
            self.timbral_block(tb, column, s);
            column += TIMBRAL;
        }
        let body = &s.padded[3 * BANDS..(3 + FRAMES) * BANDS];
        for bank in &self.temporal {
            k.temporal(
                body,
                FRAMES,
                &bank.weights,
                bank.taps,
                bank.lead,
                &mut s.hi,
                &mut s.lo,
                TEMPORAL,
            );
            for t in 0..FRAMES {
                let row = &mut s.features[(3 + t) * FRONT + column..][..TEMPORAL];
                for (c, v) in row.iter_mut().enumerate() {
                    *v = pooled(
                        &bank.bn,
                        &bank.bias,
                        c,
                        s.hi[t * TEMPORAL + c],
                        s.lo[t * TEMPORAL + c],
                    );
                }
            }
            column += TEMPORAL;
        }
        // Midend with residual sums: m1, m2 = m1 + conv(m1), m3 = m2 + conv(m2).
        self.midend[0].run(k, &s.features, &mut s.mid[0]);
        for layer in 1..3 {
            s.mid_padded.fill(0.0);
            s.mid_padded[3 * MID..(3 + FRAMES) * MID].copy_from_slice(&s.mid[layer - 1]);
            let (done, rest) = s.mid.split_at_mut(layer);
            self.midend[layer].run(k, &s.mid_padded, &mut rest[0]);
            for (v, &prev) in rest[0].iter_mut().zip(&done[layer - 1]) {
                *v += prev;
            }
        }
        // Max and mean over time of [front | m1 | m2 | m3].
        let mut max_pool = vec![f32::NEG_INFINITY; POOL];
        let mut sum = vec![0.0f32; POOL];
        for t in 0..FRAMES {
            let front = &s.features[(3 + t) * FRONT..(4 + t) * FRONT];
            let parts = [
                front,
                &s.mid[0][t * MID..][..MID],
                &s.mid[1][t * MID..][..MID],
                &s.mid[2][t * MID..][..MID],
            ];
            let row = parts.iter().flat_map(|p| p.iter());
            for ((m, acc), &v) in max_pool.iter_mut().zip(sum.iter_mut()).zip(row) {
                *m = m.max(v);
                *acc += v;
            }
        }
        let mean_pool: Vec<f32> = sum.iter().map(|v| v / FRAMES as f32).collect();
        // Backend: batch-norm of max and mean interleaved (the export
        // stacks them on a last axis of 2 and flattens), dense + ReLU +
        // batch-norm, dense + sigmoid.
        let pooled_bn: Vec<f32> = max_pool
            .iter()
            .zip(&mean_pool)
            .flat_map(|(a, b)| [a, b])
            .enumerate()
            .map(|(i, &v)| v * self.pool_bn.scale[i] + self.pool_bn.shift[i])
            .collect();
        let mut hidden = self.dense_bias.clone();
        for (&v, wrow) in pooled_bn.iter().zip(self.dense.chunks_exact(PENULTIMATE)) {
            for (h, &wv) in hidden.iter_mut().zip(wrow) {
                *h += v * wv;
            }
        }
        let penultimate: Vec<f32> = hidden
            .iter()
            .enumerate()
            .map(|(i, &h)| h.max(0.0) * self.dense_bn.scale[i] + self.dense_bn.shift[i])
            .collect();
        let mut logits = self.tags_bias.clone();
        for (&v, wrow) in penultimate.iter().zip(self.tags.chunks_exact(TAGS)) {
            for (l, &wv) in logits.iter_mut().zip(wrow) {
                *l += v * wv;
            }
        }
        let taggram = logits.iter().map(|&l| 1.0 / (1.0 + (-l).exp())).collect();
        Outputs {
            max_pool,
            mean_pool,
            penultimate,
            taggram,
        }
    }

    /// One timbral convolution: products per bin for two rows at a time,
    /// then the inverse transform to the valid positions and the pooled
    /// extremes, into `features[3 + t][column..column + 204]`.
    fn timbral_block(&self, tb: &Timbral, column: usize, s: &mut Scratch) {
        let k = self.kernels;
        let per_row = T_BLOCKS * 2 * BINS * NB;
        let mut t = 0;
        while t < FRAMES {
            let rows = 2.min(FRAMES - t);
            k.spectral_products(
                &s.spectra,
                S_STRIDE,
                t,
                rows,
                BINS,
                &tb.spectra,
                T_BLOCKS,
                &mut s.products,
            );
            for r in 0..rows {
                let y = &s.products[r * per_row..(r + 1) * per_row];
                let mut hi = [0.0; T_BLOCKS * NB];
                let mut lo = [0.0; T_BLOCKS * NB];
                k.gemm_extremes(
                    &tb.inverse,
                    2 * BINS,
                    tb.positions,
                    2 * BINS,
                    y,
                    T_BLOCKS,
                    &mut hi,
                    &mut lo,
                );
                let out = &mut s.features[(3 + t + r) * FRONT + column..][..TIMBRAL];
                for (c, v) in out.iter_mut().enumerate() {
                    *v = pooled(&tb.bn, &tb.bias, c, hi[c], lo[c]);
                }
            }
            t += rows;
        }
    }
}

/// The phase 2π·q·f/96 of bin `q` at band `f` in the 96-point DFT, reduced
/// mod 2π exactly (on the integer q·f) before the float division.
fn angle(q: usize, f: usize) -> f64 {
    2.0 * std::f64::consts::PI * ((q * f) % BANDS) as f64 / BANDS as f64
}

/// Max over frequency of `bn(relu(z + bias))` from the extremes of `z`:
/// the map is monotonic, increasing when the scale is positive.
#[inline]
fn pooled(bn: &Affine, bias: &[f32], c: usize, hi: f32, lo: f32) -> f32 {
    let z = if bn.scale[c] >= 0.0 { hi } else { lo };
    bn.relu_bn(c, z + bias[c])
}

/// Buffers for one patch, reused from patch to patch.
#[derive(Debug, Clone)]
pub struct Scratch {
    padded: Vec<f32>,
    spectra: Vec<f32>,
    products: Vec<f32>,
    hi: Vec<f32>,
    lo: Vec<f32>,
    features: Vec<f32>,
    mid: [Vec<f32>; 3],
    mid_padded: Vec<f32>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self {
            padded: vec![0.0; PADDED * BANDS],
            spectra: vec![0.0; PADDED * S_STRIDE],
            products: vec![0.0; 2 * T_BLOCKS * 2 * BINS * NB],
            hi: vec![0.0; FRAMES * TEMPORAL],
            lo: vec![0.0; FRAMES * TEMPORAL],
            features: vec![0.0; PADDED * FRONT],
            mid: [
                vec![0.0; FRAMES * MID],
                vec![0.0; FRAMES * MID],
                vec![0.0; FRAMES * MID],
            ],
            mid_padded: vec![0.0; PADDED * MID],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built_in() -> OnnxFile {
        super::super::onnx::parse(include_bytes!("../../assets/models/musicnn-msd.onnx")).unwrap()
    }

    #[test]
    fn weights_that_are_missing_misshapen_or_not_finite_are_named() {
        let mut f = built_in();
        f.weights.remove("dense/MatMul/ReadVariableOp:0");
        let e = Network::load(&f).unwrap_err().to_string();
        assert_eq!(e, "weight dense/MatMul/ReadVariableOp:0 is missing");

        let mut f = built_in();
        f.weights
            .get_mut("conv2d_1/Conv2D/ReadVariableOp:0")
            .unwrap()
            .dims = vec![204, 1, 67, 7];
        let e = Network::load(&f).unwrap_err().to_string();
        assert_eq!(
            e,
            "weight conv2d_1/Conv2D/ReadVariableOp:0 has shape [204, 1, 67, 7], expected [204, 1, 7, 67]"
        );

        let mut f = built_in();
        f.weights
            .get_mut("batch_normalization_6/ReadVariableOp:0")
            .unwrap()
            .data[5] = f32::NAN;
        let e = Network::load(&f).unwrap_err().to_string();
        assert_eq!(
            e,
            "weight batch_normalization_6/ReadVariableOp:0 holds NaN or infinite values"
        );
    }

    /// The Fourier-domain timbral convolution is the direct one: a single
    /// filter and a random input, compared position by position.
    #[test]
    fn timbral_convolution_in_the_fourier_domain_is_the_direct_one() {
        let f = built_in();
        let net = Network::load(&f).unwrap();
        let width = 38;
        let tb = &net.timbral[0];
        let kernel = &f.weights["conv2d/Conv2D/ReadVariableOp:0"].data;
        let mut s = Scratch::default();
        let mut state = 7u32;
        for v in s.padded[3 * BANDS..(3 + FRAMES) * BANDS].iter_mut() {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *v = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
        }
        let mut values = vec![0.0; BANDS * T_BLOCKS * NB];
        for kernels in [Kernels::detect(), Kernels::Portable] {
            kernels.gemm(
                &s.padded,
                BANDS,
                PADDED,
                BANDS,
                &net.dft,
                S_STRIDE / NB,
                &mut s.spectra,
                S_STRIDE,
            );
            let t = 100;
            kernels.spectral_products(
                &s.spectra,
                S_STRIDE,
                t,
                1,
                BINS,
                &tb.spectra,
                T_BLOCKS,
                &mut s.products,
            );
            kernels.gemm(
                &tb.inverse,
                2 * BINS,
                tb.positions,
                2 * BINS,
                &s.products,
                T_BLOCKS,
                &mut values,
                T_BLOCKS * NB,
            );
            for c in [0, 17, 203] {
                for pos in [0, 30, 58] {
                    let mut direct = 0.0f64;
                    for d in 0..TAPS {
                        for df in 0..width {
                            direct += s.padded[(t + d) * BANDS + pos + df] as f64
                                * kernel[(c * TAPS + d) * width + df] as f64;
                        }
                    }
                    let got = values[pos * T_BLOCKS * NB + c] as f64;
                    assert!(
                        (got - direct).abs() < 1e-4 * (1.0 + direct.abs()),
                        "{kernels:?} c {c} f {pos}: {got} vs {direct}"
                    );
                }
            }
        }
    }
}

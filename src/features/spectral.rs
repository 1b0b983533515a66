//! Spectral shape features from the magnitude spectrum (librosa
//! `spectral_centroid`, `spectral_bandwidth`, `spectral_rolloff`,
//! `spectral_contrast`, `spectral_flatness`), computed in one pass.
//!
//! All five librosa functions work on the magnitude |X| (`power=1`), so each
//! frame's magnitude is taken once (`sqrt` of the power we receive) and every
//! feature is accumulated from it. Sums run in float64 over several
//! independent lanes: librosa's own reductions are float64 for centroid and
//! bandwidth, and lanes let the compiler vectorise instead of waiting on one
//! add chain per frame.

use std::sync::OnceLock;

use super::simd::avx2_dispatch;
use super::stft::{fft_frequencies, Spectrogram};
use super::{Matrix, N_BINS, N_FFT, SR};

/// Spectral shape features, one value (or column) per frame.
#[derive(Debug, Clone, Default)]
pub struct SpectralFeatures {
    /// Centroid, Hz.
    pub centroid: Vec<f32>,
    /// Bandwidth (p = 2), Hz.
    pub bandwidth: Vec<f32>,
    /// Roll-off (0.85), Hz.
    pub rolloff: Vec<f32>,
    /// Contrast, 7 × frames, dB.
    pub contrast: Matrix,
    /// Flatness (power = 2).
    pub flatness: Vec<f32>,
}

/// Roll-off fraction (librosa default).
const ROLL_PERCENT: f32 = 0.85;
/// Number of contrast bands above the first (librosa `n_bands`).
const N_BANDS: usize = 6;
/// Rows of the contrast matrix.
pub const N_CONTRAST: usize = N_BANDS + 1;
/// Lowest contrast band edge, Hz.
const CONTRAST_FMIN: f64 = 200.0;
/// Share of each band averaged for its peak and valley.
const QUANTILE: f64 = 0.02;
/// Flatness floor on |X|² (librosa `amin`).
const FLAT_AMIN: f32 = 1e-10;
/// f32 accumulator lanes: two SSE or one AVX register per sum.
const LANES: usize = 8;
/// Bins per block: f32 lane sums are flushed to float64 after each block
/// (8 terms per lane, so the f32 partial sums stay within ~5e-7 relative),
/// and the block sums of |X| locate the roll-off crossing quickly.
const BLOCK: usize = 64;
const FULL: usize = N_BINS / BLOCK * BLOCK;
const N_BLOCKS: usize = N_BINS.div_ceil(BLOCK);
/// Largest `k` the insertion-based selection keeps on the stack (librosa's
/// defaults need at most 9); larger ones fall back to sorting.
const MAX_K: usize = 16;

/// One contrast band: the bins `[start, end)` whose magnitudes are sorted, and
/// how many of the lowest/highest are averaged (librosa's `idx`).
#[derive(Debug, Clone, Copy)]
struct Band {
    start: usize,
    end: usize,
    k: usize,
}

/// The contrast sub-bands exactly as librosa's loop builds them.
fn contrast_bands() -> &'static [Band; N_CONTRAST] {
    static B: OnceLock<[Band; N_CONTRAST]> = OnceLock::new();
    B.get_or_init(|| {
        let freq = fft_freqs_f64();
        // octa = [0, fmin, 2 fmin, …, 2^n_bands fmin]
        let mut octa = [0.0f64; N_BANDS + 2];
        for (i, o) in octa.iter_mut().enumerate().skip(1) {
            *o = CONTRAST_FMIN * 2f64.powi(i as i32 - 1);
        }
        let mut bands = [Band {
            start: 0,
            end: 0,
            k: 1,
        }; N_CONTRAST];
        for (k, band) in bands.iter_mut().enumerate() {
            let (lo, hi) = (octa[k], octa[k + 1]);
            // current_band = lo <= freq <= hi (a contiguous run of bins).
            let first = freq.iter().position(|&f| f >= lo).unwrap_or(N_BINS);
            let last = freq.iter().rposition(|&f| f <= hi).unwrap_or(0);
            // Bands above the first also take the bin just below them.
            let mut start = if k > 0 {
                first.saturating_sub(1)
            } else {
                first
            };
            // The top band runs to Nyquist.
            let mut end = if k == N_BANDS { N_BINS } else { last + 1 };
            start = start.min(N_BINS - 1);
            end = end.clamp(start + 1, N_BINS);
            // idx = max(rint(quantile * count), 1), counted *before* the
            // top bin of the lower bands is dropped from the sorted set.
            let count = (end - start) as f64;
            let idx = ((QUANTILE * count).round_ties_even() as usize).max(1);
            // sub_band[:-1] for all but the top band.
            if k < N_BANDS && end - start > 1 {
                end -= 1;
            }
            *band = Band { start, end, k: idx };
        }
        bands
    })
}

/// numpy `rfftfreq(2048, 1/22050)` in float64 (`k * (1 / (n * d))`), the
/// frequencies librosa compares band edges against.
fn fft_freqs_f64() -> Vec<f64> {
    let val = 1.0 / (N_FFT as f64 * (1.0 / SR as f64));
    (0..N_BINS).map(|k| k as f64 * val).collect()
}

/// All spectral shape features of a power spectrogram.
pub fn spectral_features(spec: &Spectrogram) -> SpectralFeatures {
    let mut acc = ShapeFrames::new(spec.n_frames);
    for p in spec.frames() {
        acc.push(p);
    }
    acc.finish()
}

/// The spectral shape features computed one power frame at a time, so a
/// caller can feed each frame while it is still in cache (see
/// `features::frame_features`).
pub(crate) struct ShapeFrames {
    out: SpectralFeatures,
    /// Raw peak/valley per frame and band (frame-major): the dB conversion
    /// needs the global maximum of each before it can floor them (top_db 80).
    peak: Vec<f64>,
    valley: Vec<f64>,
    /// Per-frame scratch: |X| and the block sums of |X|.
    mag: Vec<f32>,
    blocks: [f64; N_BLOCKS],
}

impl ShapeFrames {
    /// Room for `n` frames (more may be pushed).
    pub(crate) fn new(n: usize) -> Self {
        ShapeFrames {
            out: SpectralFeatures {
                centroid: Vec::with_capacity(n),
                bandwidth: Vec::with_capacity(n),
                rolloff: Vec::with_capacity(n),
                contrast: Matrix::default(),
                flatness: Vec::with_capacity(n),
            },
            peak: Vec::with_capacity(N_CONTRAST * n),
            valley: Vec::with_capacity(N_CONTRAST * n),
            mag: vec![0.0; N_BINS],
            blocks: [0.0; N_BLOCKS],
        }
    }

    /// Add the next frame's power spectrum (`N_BINS` values).
    pub(crate) fn push(&mut self, power: &[f32]) {
        shape_frame(self, power);
    }

    /// The features of all frames pushed.
    pub(crate) fn finish(mut self) -> SpectralFeatures {
        let n = self.out.centroid.len();
        power_to_db_in_place(&mut self.peak);
        power_to_db_in_place(&mut self.valley);
        let mut contrast = Matrix::zeros(N_CONTRAST, n);
        let rows = self
            .peak
            .chunks_exact(N_CONTRAST)
            .zip(self.valley.chunks_exact(N_CONTRAST));
        for (t, (p, v)) in rows.enumerate() {
            for b in 0..N_CONTRAST {
                contrast.set(b, t, (p[b] - v[b]) as f32);
            }
        }
        self.out.contrast = contrast;
        self.out
    }
}

avx2_dispatch! {
    /// One frame of [`ShapeFrames`].
    fn shape_frame(acc: &mut ShapeFrames, p: &[f32]) => shape_frame_avx2, shape_frame_portable
}

#[inline(always)]
fn shape_frame_portable(acc: &mut ShapeFrames, p: &[f32]) {
    let freqs = fft_frequencies();
    let bands = contrast_bands();
    let ShapeFrames {
        out,
        peak,
        valley,
        mag,
        blocks,
    } = acc;
    let m = Moments::of(p, freqs, mag, blocks);

    // Centroid/bandwidth: librosa normalises by Σ|X| unless that is below
    // float32's tiny, in which case the frame stays un-normalised (all
    // zero) and both features come out 0.
    let (centroid, bandwidth) = if m.sum < f32::MIN_POSITIVE as f64 {
        (0.0, 0.0)
    } else {
        let c = m.sum_f / m.sum;
        // Σ|X|(f - c)² / Σ|X| as librosa computes it (deviations from
        // the centroid), so there is no cancellation to amplify the f32
        // lane sums' rounding.
        let var = deviation_sum(mag, freqs, c as f32) / m.sum;
        (c, var.max(0.0).sqrt())
    };
    out.centroid.push(centroid as f32);
    out.bandwidth.push(bandwidth as f32);
    out.rolloff.push(freqs[rolloff_bin(mag, m.sum, blocks)]);

    // Flatness on S = max(amin, |X|²): exp(mean ln S) / mean S, with the
    // log-sum taken from a renormalised product (one ln per lane).
    let gmean = (m.ln_prod / N_BINS as f64).exp();
    let amean = m.sum_p / N_BINS as f64;
    out.flatness.push((gmean / amean) as f32);

    for band in bands {
        let (lo, hi) = extremes_mean(&mag[band.start..band.end], band.k);
        valley.push(lo);
        peak.push(hi);
    }
}

/// Per-frame sums.
struct Moments {
    /// Σ|X|
    sum: f64,
    /// Σ f |X|
    sum_f: f64,
    /// Σ max(amin, |X|²)
    sum_p: f64,
    /// Σ ln max(amin, |X|²)
    ln_prod: f64,
}

/// Split positive normal f32 `x` into its biased exponent and its mantissa
/// scaled into [1, 2) (branch-free bit operations, so lanes vectorise).
#[inline(always)]
fn split_f32(x: f32) -> (i32, f32) {
    let b = x.to_bits();
    (
        (b >> 23) as i32,
        f32::from_bits((b & 0x007f_ffff) | 0x3f80_0000),
    )
}

impl Moments {
    /// One fused pass over the frame: writes |X| = sqrt(power) into `mag`,
    /// fills `blocks` with Σ|X| per `BLOCK` bins (roll-off search) and
    /// returns the sums.
    ///
    /// Sums run in `LANES` f32 lanes over one block (8 terms per lane) and
    /// are then flushed into float64, which keeps them within ~1e-7 of the
    /// float64 sums. ln Π S is kept as an integer sum of exponents plus a
    /// product of mantissas in [1, 2) per lane, renormalised after each
    /// block: its rounding (≤ 1025 · 6e-8 relative) moves mean ln S by
    /// < 1e-7.
    #[inline(always)] // compiled into its caller's AVX2 copy too
    fn of(power: &[f32], freqs: &[f32], mag: &mut [f32], blocks: &mut [f64; N_BLOCKS]) -> Self {
        let mut s64 = [0.0f64; LANES];
        let mut sf64 = [0.0f64; LANES];
        let mut sp64 = [0.0f64; LANES];
        let mut prod = [1.0f32; LANES];
        // Sum of biased exponents; 1025 × 255 fits easily.
        let mut exps = [0i32; LANES];
        let blocks_iter = power[..FULL]
            .chunks_exact(BLOCK)
            .zip(mag[..FULL].chunks_exact_mut(BLOCK))
            .zip(freqs[..FULL].chunks_exact(BLOCK))
            .zip(blocks.iter_mut());
        for (((pb, mb), fb), blk) in blocks_iter {
            let mut s = [0.0f32; LANES];
            let mut sf = [0.0f32; LANES];
            let mut sp = [0.0f32; LANES];
            // Simple separate passes over fixed-size arrays: each one is a
            // plain loop the compiler vectorises (a fused loop mixing float
            // and bit operations stayed scalar).
            for (m, &p) in mb.iter_mut().zip(pb) {
                *m = p.sqrt();
            }
            for (mc, fc) in mb
                .as_chunks::<LANES>()
                .0
                .iter()
                .zip(fb.as_chunks::<LANES>().0)
            {
                for l in 0..LANES {
                    s[l] += mc[l];
                    sf[l] += fc[l] * mc[l];
                }
            }
            for pc in pb.as_chunks::<LANES>().0 {
                for l in 0..LANES {
                    // librosa squares |X| in float32; our power equals it to 1 ulp.
                    let pa = pc[l].max(FLAT_AMIN);
                    sp[l] += pa;
                    let (e, mant) = split_f32(pa);
                    exps[l] += e;
                    prod[l] *= mant;
                }
            }
            // Separate simple loops again: one loop mixing the f64 sums with
            // the mantissa split stayed scalar.
            let bsum: f64 = s.iter().map(|&v| v as f64).sum();
            for l in 0..LANES {
                s64[l] += s[l] as f64;
                sf64[l] += sf[l] as f64;
                sp64[l] += sp[l] as f64;
            }
            for l in 0..LANES {
                // 8 mantissas in [1, 2) since the last split: < 2^9.
                let (e, mant) = split_f32(prod[l]);
                exps[l] += e - 127;
                prod[l] = mant;
            }
            *blk = bsum;
        }
        // The bins after the last full block (just Nyquist for n_fft 2048).
        let mut tail = 0.0f64;
        let mut ln_tail = 0.0f64;
        for k in FULL..N_BINS {
            let m = power[k].sqrt();
            mag[k] = m;
            let pa = power[k].max(FLAT_AMIN) as f64;
            tail += m as f64;
            sf64[0] += freqs[k] as f64 * m as f64;
            sp64[0] += pa;
            ln_tail += pa.ln();
        }
        if let Some(b) = blocks.get_mut(N_BINS / BLOCK) {
            *b = tail;
        }
        // Each value was split once: subtract the bias 127 per value.
        let n_split = (FULL / LANES) as i64;
        let mut ln_prod = ln_tail;
        for l in 0..LANES {
            let e = exps[l] as i64 - 127 * n_split;
            ln_prod += (prod[l] as f64).ln() + e as f64 * std::f64::consts::LN_2;
        }
        Moments {
            sum: s64.iter().sum::<f64>() + tail,
            sum_f: sf64.iter().sum(),
            sum_p: sp64.iter().sum(),
            ln_prod,
        }
    }
}

/// Σ |X| (f − c)², in f32 lanes flushed to float64 per block.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn deviation_sum(mag: &[f32], freqs: &[f32], c: f32) -> f64 {
    let mut acc64 = [0.0f64; LANES];
    for (mb, fb) in mag[..FULL]
        .chunks_exact(BLOCK)
        .zip(freqs[..FULL].chunks_exact(BLOCK))
    {
        let mut acc = [0.0f32; LANES];
        for (mc, fc) in mb
            .as_chunks::<LANES>()
            .0
            .iter()
            .zip(fb.as_chunks::<LANES>().0)
        {
            for l in 0..LANES {
                let d = fc[l] - c;
                acc[l] += mc[l] * (d * d);
            }
        }
        for l in 0..LANES {
            acc64[l] += acc[l] as f64;
        }
    }
    let mut total: f64 = acc64.iter().sum();
    for k in FULL..N_BINS {
        let d = freqs[k] as f64 - c as f64;
        total += mag[k] as f64 * d * d;
    }
    total
}

/// librosa `spectral_rolloff`: the first bin whose float32 running sum of |X|
/// reaches 0.85 × the total (bin 0 for an all-zero frame, since 0 ≥ 0).
///
/// The crossing is found from float64 block sums; only when the running sum
/// lies within rounding of the threshold do we redo numpy's exact float32
/// sequential `cumsum`, which is what decides the bin in that case.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn rolloff_bin(mag: &[f32], total: f64, blocks: &[f64; N_BLOCKS]) -> usize {
    let thr = ROLL_PERCENT as f64 * total;
    let mut acc = 0.0f64;
    let mut bin = N_BINS - 1;
    'outer: for (bi, &b) in blocks.iter().enumerate() {
        if acc + b < thr {
            acc += b;
            continue;
        }
        let lo = bi * BLOCK;
        for (k, &m) in mag
            .iter()
            .enumerate()
            .take((lo + BLOCK).min(N_BINS))
            .skip(lo)
        {
            let prev = acc;
            acc += m as f64;
            if acc >= thr {
                bin = k;
                // Ambiguous if either side of the crossing is within what
                // float32 summation of 1025 terms can be off by
                // (≤ 1025 · 2⁻²⁴ ≈ 6e-5 of the total).
                let tol = 1e-4 * total;
                if (acc - thr).abs() <= tol || (thr - prev).abs() <= tol {
                    return rolloff_bin_f32(mag);
                }
                break 'outer;
            }
        }
    }
    bin
}

/// numpy's exact semantics: `cumsum` in float32, threshold `0.85 * total` in
/// float32, first bin not below it.
fn rolloff_bin_f32(mag: &[f32]) -> usize {
    // One sequential pass keeps every partial sum; the total is the last.
    let mut cum = [0.0f32; N_BINS];
    let mut acc = 0.0f32;
    for (c, &m) in cum.iter_mut().zip(mag) {
        acc += m;
        *c = acc;
    }
    let cum = &cum[..mag.len().min(N_BINS)];
    let thr = ROLL_PERCENT * acc;
    // Partial sums of non-negative values never decrease (rounding is
    // monotonic), so the first one reaching the threshold is a partition.
    cum.partition_point(|&c| c < thr)
        .min(mag.len().saturating_sub(1))
}

/// Means of the `k` smallest and `k` largest values of `v` — what librosa
/// gets from a full sort of the band — without sorting it.
///
/// The band is read in chunks of 8 values, one per lane, and each lane keeps
/// its own k smallest and k largest values, sorted, in k registers per side:
/// a new chunk is pushed down the registers by a compare-exchange network
/// (register i keeps the larger of itself and the value coming down, the
/// smaller moves on), all 8 lanes at once, without a single branch. The k
/// extremes of the band are then among the lanes' 8·k, and are taken off the
/// lanes' heads one at a time. The selected values, hence the means, are
/// exactly the sorted band's (the network only moves values, ties included).
///
/// Why not a scan with data-dependent insertions (the previous version): on
/// noisy spectra its branches mispredicted so often that choosing these
/// extremes cost two thirds of all the spectral features.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn extremes_mean(v: &[f32], k: usize) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let k = k.clamp(1, v.len());
    if k == 1 {
        let (lo, hi) = min_max(v);
        return (lo as f64, hi as f64);
    }
    if k > MAX_K {
        let mut s = v.to_vec();
        s.sort_unstable_by(f32::total_cmp);
        return (mean(&s[..k]), mean(&s[s.len() - k..]));
    }
    // The network depth is a compile-time constant, so its loops unroll
    // into straight vector code.
    macro_rules! by_depth {
        ($($k:literal)*) => {
            match k {
                $($k => extremes_mean_k::<$k>(v),)*
                _ => unreachable!("2 <= k <= MAX_K"),
            }
        };
    }
    by_depth!(2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// [`extremes_mean`] for a given k ≥ 2.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn extremes_mean_k<const K: usize>(v: &[f32]) -> (f64, f64) {
    // Per-lane sorted extremes: lo[i] ascending and hi[i] descending in i.
    let mut lo = [[f32::INFINITY; 8]; K];
    let mut hi = [[f32::NEG_INFINITY; 8]; K];
    let (chunks, tail) = v.as_chunks::<8>();
    for c in chunks {
        push_extremes(&mut lo, &mut hi, c, c);
    }
    if !tail.is_empty() {
        // Missing lanes get values that never enter their side.
        let mut for_lo = [f32::INFINITY; 8];
        let mut for_hi = [f32::NEG_INFINITY; 8];
        for_lo[..tail.len()].copy_from_slice(tail);
        for_hi[..tail.len()].copy_from_slice(tail);
        push_extremes(&mut lo, &mut hi, &for_lo, &for_hi);
    }
    // Take the band's extremes off the lanes' heads, smallest (largest)
    // first, and sum them in the sorted band's (ascending) order.
    let mut low = [0.0f32; K];
    let mut high = [0.0f32; K];
    for r in 0..K {
        low[r] = pop_head(&mut lo, |a, b| a < b, f32::INFINITY);
        high[r] = pop_head(&mut hi, |a, b| a > b, f32::NEG_INFINITY);
    }
    let low = low.iter().map(|&x| x as f64).sum::<f64>() / K as f64;
    let high = high.iter().rev().map(|&x| x as f64).sum::<f64>() / K as f64;
    (low, high)
}

/// Push a chunk through both per-lane networks (`for_lo` into the smallest,
/// `for_hi` into the largest): at each level the more extreme value stays and
/// the other moves down, so each lane's column stays sorted and keeps its K
/// most extreme values so far. Each output is its own comparison (a plain
/// min or max): a shared comparison for both outputs became branches.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn push_extremes<const K: usize>(
    lo: &mut [[f32; 8]; K],
    hi: &mut [[f32; 8]; K],
    for_lo: &[f32; 8],
    for_hi: &[f32; 8],
) {
    let (mut down_lo, mut down_hi) = (*for_lo, *for_hi);
    for level in 0..K {
        let (l, h) = (&mut lo[level], &mut hi[level]);
        for i in 0..8 {
            let (a, x) = (l[i], down_lo[i]);
            l[i] = if x < a { x } else { a };
            down_lo[i] = if x > a { x } else { a };
            let (b, y) = (h[i], down_hi[i]);
            h[i] = if y > b { y } else { b };
            down_hi[i] = if y < b { y } else { b };
        }
    }
}

/// Remove and return the most extreme head (by `better`) of the lanes'
/// sorted columns, shifting that lane's column up and refilling its end with
/// `empty`. The first lane holding the extreme is taken, so equal values are
/// taken one at a time. Both searches are selects, not branches (which lane
/// wins is unpredictable).
#[inline(always)] // compiled into its caller's AVX2 copy too
fn pop_head<const K: usize>(
    cols: &mut [[f32; 8]; K],
    better: impl Fn(f32, f32) -> bool,
    empty: f32,
) -> f32 {
    let heads = cols[0];
    let head = heads
        .iter()
        .fold(empty, |b, &x| if better(x, b) { x } else { b });
    let lane = (0..8)
        .rev()
        .fold(0, |at, l| if heads[l] == head { l } else { at });
    for i in 0..K - 1 {
        cols[i][lane] = cols[i + 1][lane];
    }
    cols[K - 1][lane] = empty;
    head
}

/// Minimum and maximum of a non-empty slice, in 8 lanes so it vectorises.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn min_max(v: &[f32]) -> (f32, f32) {
    let mut lo = [f32::INFINITY; 8];
    let mut hi = [f32::NEG_INFINITY; 8];
    let (chunks, rest) = v.as_chunks::<8>();
    for c in chunks {
        for l in 0..8 {
            lo[l] = if c[l] < lo[l] { c[l] } else { lo[l] };
            hi[l] = if c[l] > hi[l] { c[l] } else { hi[l] };
        }
    }
    let mut a = rest.iter().fold(f32::INFINITY, |a, &x| a.min(x));
    let mut b = rest.iter().fold(f32::NEG_INFINITY, |a, &x| a.max(x));
    for l in 0..8 {
        a = a.min(lo[l]);
        b = b.max(hi[l]);
    }
    (a, b)
}

fn mean(s: &[f32]) -> f64 {
    s.iter().map(|&x| x as f64).sum::<f64>() / s.len() as f64
}

/// librosa `power_to_db(S, ref=1, amin=1e-10, top_db=80)` over the whole
/// array: the floor is 80 dB below the array's global maximum.
fn power_to_db_in_place(s: &mut [f64]) {
    let mut max = f64::NEG_INFINITY;
    for x in s.iter_mut() {
        *x = 10.0 * x.max(1e-10).log10();
        max = max.max(*x);
    }
    let floor = max - 80.0;
    for x in s.iter_mut() {
        *x = x.max(floor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::stft::power_spectrogram;

    #[test]
    fn bands_match_librosa_loop() {
        let b = contrast_bands();
        // Band 0: bins 0..=18 selected, top one dropped, idx 1.
        assert_eq!((b[0].start, b[0].end, b[0].k), (0, 18, 1));
        // Band 3 (800–1600 Hz): 75 bins counted → rint(1.5) = 2.
        assert_eq!(b[3].k, 2);
        // Top band: from the bin below 6400 Hz to Nyquist, idx 9.
        assert_eq!((b[6].start, b[6].end, b[6].k), (594, N_BINS, 9));
    }

    #[test]
    fn extremes_equal_sorted_means() {
        let v: Vec<f32> = (0..300).map(|i| ((i * 7919) % 301) as f32 * 0.5).collect();
        for k in [1, 2, 3, 6, 9, 16, 17, 40] {
            let v = &v[..if k == 2 { 70 } else { v.len() }];
            let mut s = v.to_vec();
            s.sort_by(f32::total_cmp);
            let (lo, hi) = extremes_mean(v, k);
            let elo: f64 = s[..k].iter().map(|&x| x as f64).sum::<f64>() / k as f64;
            let ehi: f64 = s[s.len() - k..].iter().map(|&x| x as f64).sum::<f64>() / k as f64;
            assert_eq!((lo, hi), (elo, ehi), "k={k}");
        }
        // Ties, short bands and a band shorter than k.
        let ties: Vec<f32> = (0..100).map(|i| (i % 3) as f32).collect();
        for v in [
            ties,
            vec![1.0f32; 20],
            vec![3.0, 1.0, 3.0, 2.0, 1.0],
            vec![0.5],
        ] {
            let mut s = v.clone();
            s.sort_by(f32::total_cmp);
            for k in [1, 2, 3, 9] {
                let kk = k.min(v.len());
                let elo = s[..kk].iter().map(|&x| x as f64).sum::<f64>() / kk as f64;
                let ehi = s[s.len() - kk..].iter().map(|&x| x as f64).sum::<f64>() / kk as f64;
                assert_eq!(extremes_mean(&v, k), (elo, ehi), "{v:?} k={k}");
            }
        }
    }

    #[test]
    fn silence_gives_librosas_values() {
        let f = spectral_features(&power_spectrogram(&vec![0.0; 4096]));
        assert!(f.centroid.iter().all(|&v| v == 0.0));
        assert!(f.bandwidth.iter().all(|&v| v == 0.0));
        assert!(f.rolloff.iter().all(|&v| v == 0.0));
        // max(amin, 0) everywhere: perfectly flat.
        assert!(f.flatness.iter().all(|&v| (v - 1.0).abs() < 1e-6));
        // Peak and valley both floor at -100 dB: contrast 0.
        assert!(f.contrast.data.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn any_length_is_finite() {
        for n in [0usize, 1, 2, 100, 2047, 2048, 5000] {
            let y: Vec<f32> = (0..n)
                .map(|i| ((i * 31) % 17) as f32 / 17.0 - 0.4)
                .collect();
            let f = spectral_features(&power_spectrogram(&y));
            let all = f
                .centroid
                .iter()
                .chain(&f.bandwidth)
                .chain(&f.rolloff)
                .chain(&f.flatness)
                .chain(&f.contrast.data);
            assert!(all.into_iter().all(|v| v.is_finite()), "n={n}");
            assert_eq!(f.contrast.cols, power_spectrogram(&y).n_frames);
        }
    }
}

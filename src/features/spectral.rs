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
/// Accumulator lanes; 4 f64 fill one AVX register.
const LANES: usize = 4;
/// Bins per roll-off block: the block sums locate the crossing quickly.
const BLOCK: usize = 16;
const N_BLOCKS: usize = N_BINS.div_ceil(BLOCK);

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
    let n = spec.n_frames;
    let freqs = fft_frequencies();
    let f: Vec<f64> = freqs.iter().map(|&x| x as f64).collect();
    let freqs64 = Freqs {
        f2: f.iter().map(|x| x * x).collect(),
        f,
    };
    let bands = contrast_bands();
    let mut out = SpectralFeatures {
        centroid: Vec::with_capacity(n),
        bandwidth: Vec::with_capacity(n),
        rolloff: Vec::with_capacity(n),
        contrast: Matrix::zeros(N_CONTRAST, n),
        flatness: Vec::with_capacity(n),
    };
    // Raw peak/valley per band and frame: the dB conversion needs the global
    // maximum of each before it can floor them (top_db = 80).
    let mut peak = vec![0.0f64; N_CONTRAST * n];
    let mut valley = vec![0.0f64; N_CONTRAST * n];
    let mut mag = vec![0.0f32; N_BINS];
    let mut blocks = [0.0f64; N_BLOCKS];
    let mut scratch = Vec::with_capacity(N_BINS);

    for (t, p) in spec.frames().enumerate() {
        for (m, &x) in mag.iter_mut().zip(p) {
            *m = x.sqrt();
        }
        let m = Moments::of(&mag, p, &freqs64, &mut blocks);

        // Centroid/bandwidth: librosa normalises by Σ|X| unless that is below
        // float32's tiny, in which case the frame stays un-normalised (all
        // zero) and both features come out 0.
        let (centroid, bandwidth) = if m.sum < f32::MIN_POSITIVE as f64 {
            (0.0, 0.0)
        } else {
            let c = m.sum_f / m.sum;
            // Σ|X|(f - c)² / Σ|X| expanded; float64 keeps the cancellation
            // error ~1e-12 relative even for a pure tone.
            let var = (m.sum_f2 / m.sum - c * c).max(0.0);
            (c, var.sqrt())
        };
        out.centroid.push(centroid as f32);
        out.bandwidth.push(bandwidth as f32);
        out.rolloff.push(freqs[rolloff_bin(&mag, m.sum, &blocks)]);

        // Flatness on S = max(amin, |X|²): exp(mean ln S) / mean S, with the
        // log-sum taken from a renormalised product (one ln per frame).
        let gmean = (m.ln_prod / N_BINS as f64).exp();
        let amean = m.sum_p / N_BINS as f64;
        out.flatness.push((gmean / amean) as f32);

        for (b, band) in bands.iter().enumerate() {
            let (lo, hi) = extremes_mean(&mag[band.start..band.end], band.k, &mut scratch);
            valley[b * n + t] = lo;
            peak[b * n + t] = hi;
        }
    }

    power_to_db_in_place(&mut peak);
    power_to_db_in_place(&mut valley);
    for (c, (p, v)) in out.contrast.data.iter_mut().zip(peak.iter().zip(&valley)) {
        *c = (p - v) as f32;
    }
    out
}

/// Per-frame sums, each accumulated over `LANES` independent lanes.
struct Moments {
    /// Σ|X|
    sum: f64,
    /// Σ f |X|
    sum_f: f64,
    /// Σ f² |X|
    sum_f2: f64,
    /// Σ max(amin, |X|²)
    sum_p: f64,
    /// Σ ln max(amin, |X|²)
    ln_prod: f64,
}

impl Moments {
    /// Accumulate the frame's sums; also fills `blocks` with Σ|X| per
    /// `BLOCK` bins for the roll-off search.
    fn of(mag: &[f32], power: &[f32], freqs: &Freqs, blocks: &mut [f64; N_BLOCKS]) -> Self {
        let mut s = [0.0f64; LANES];
        let mut sf = [0.0f64; LANES];
        let mut sf2 = [0.0f64; LANES];
        let mut sp = [0.0f64; LANES];
        let mut prod = [1.0f64; LANES];
        let mut exp2 = [0i64; LANES];
        let full = N_BINS / BLOCK * BLOCK;
        for (bi, blk) in blocks.iter_mut().enumerate().take(N_BINS / BLOCK) {
            let lo = bi * BLOCK;
            let mut bsum = [0.0f64; LANES];
            // Fixed-size chunks with one accumulator per lane: the compiler
            // turns each lane array into one SIMD register.
            for c in (lo..lo + BLOCK).step_by(LANES) {
                let m: &[f32; LANES] = mag[c..c + LANES].try_into().unwrap_or(&[0.0; LANES]);
                let p: &[f32; LANES] = power[c..c + LANES].try_into().unwrap_or(&[0.0; LANES]);
                let f: &[f64; LANES] = freqs.f[c..c + LANES].try_into().unwrap_or(&[0.0; LANES]);
                let f2: &[f64; LANES] = freqs.f2[c..c + LANES].try_into().unwrap_or(&[0.0; LANES]);
                for l in 0..LANES {
                    let m = m[l] as f64;
                    // librosa squares |X| in float32; our power equals it to 1 ulp.
                    let pw = p[l].max(FLAT_AMIN) as f64;
                    bsum[l] += m;
                    sf[l] += f[l] * m;
                    sf2[l] += f2[l] * m;
                    sp[l] += pw;
                    prod[l] *= pw;
                }
            }
            *blk = bsum.iter().sum();
            for l in 0..LANES {
                s[l] += bsum[l];
                // Every value is in [1e-10, 3.4e38] and each lane multiplied
                // BLOCK / LANES = 4 of them since the last renormalisation, so
                // the product cannot leave f64's range.
                prod[l] = renormalise(prod[l], &mut exp2[l]);
            }
        }
        // The bins after the last full block (just Nyquist for n_fft 2048).
        let mut tail = 0.0;
        for k in full..N_BINS {
            let m = mag[k] as f64;
            let pw = power[k].max(FLAT_AMIN) as f64;
            tail += m;
            sf[0] += freqs.f[k] * m;
            sf2[0] += freqs.f2[k] * m;
            sp[0] += pw;
            prod[0] *= pw;
        }
        s[0] += tail;
        if let Some(b) = blocks.get_mut(N_BINS / BLOCK) {
            *b = tail;
        }
        prod[0] = renormalise(prod[0], &mut exp2[0]);
        let mut ln_prod = 0.0;
        for l in 0..LANES {
            ln_prod += prod[l].ln() + exp2[l] as f64 * std::f64::consts::LN_2;
        }
        Moments {
            sum: s.iter().sum(),
            sum_f: sf.iter().sum(),
            sum_f2: sf2.iter().sum(),
            sum_p: sp.iter().sum(),
            ln_prod,
        }
    }
}

/// Bin frequencies (float64) and their squares, for the moment sums.
struct Freqs {
    f: Vec<f64>,
    f2: Vec<f64>,
}

/// Split a positive normal `x` into a mantissa in [0.5, 1) (returned) and a
/// power of two added to `e`, so long products neither overflow nor underflow.
fn renormalise(x: f64, e: &mut i64) -> f64 {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    if exp == 0 || exp == 0x7ff {
        return x; // zero/subnormal/inf cannot occur (values ≥ 1e-10); leave it
    }
    *e += exp - 1022;
    f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52))
}

/// librosa `spectral_rolloff`: the first bin whose float32 running sum of |X|
/// reaches 0.85 × the total (bin 0 for an all-zero frame, since 0 ≥ 0).
///
/// The crossing is found from float64 block sums; only when the running sum
/// lies within rounding of the threshold do we redo numpy's exact float32
/// sequential `cumsum`, which is what decides the bin in that case.
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
    let total: f32 = mag.iter().fold(0.0f32, |a, &m| a + m);
    let thr = ROLL_PERCENT * total;
    let mut acc = 0.0f32;
    for (k, &m) in mag.iter().enumerate() {
        acc += m;
        if acc >= thr {
            return k;
        }
    }
    mag.len() - 1
}

/// Means of the `k` smallest and `k` largest values of `v` — what librosa
/// gets from a full sort of the band — without sorting it.
///
/// The band is split into `g` interleaved groups (element `i` in group
/// `i % g`) whose minima and maxima come from SIMD-friendly loops. Let τ be
/// the k-th smallest group minimum: k groups hold a value ≤ τ, so each of the
/// k smallest values is ≤ τ and lies in a group whose minimum is ≤ τ. Only
/// those groups (≈ k of them) are gathered, and a partial selection
/// (`select_nth_unstable`) puts their k smallest first. The selected values,
/// hence the means, are exactly those of the sorted band. Likewise for the
/// maxima. `scratch` is reused between calls to avoid allocating.
fn extremes_mean(v: &[f32], k: usize, scratch: &mut Vec<f32>) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let k = k.clamp(1, v.len());
    // ~sqrt(m k) groups balances the group pass against the gathered groups;
    // a multiple of 8 keeps the group loops in whole SIMD registers.
    let g = (((v.len() * k) as f64).sqrt() as usize)
        .next_multiple_of(8)
        .clamp(8, MAX_GROUPS)
        .min(v.len());
    let mut gmin = [f32::INFINITY; MAX_GROUPS];
    let mut gmax = [f32::NEG_INFINITY; MAX_GROUPS];
    for row in v.chunks(g) {
        for ((lo, hi), &x) in gmin.iter_mut().zip(gmax.iter_mut()).zip(row) {
            *lo = if x < *lo { x } else { *lo };
            *hi = if x > *hi { x } else { *hi };
        }
    }
    let (gmin, gmax) = (&gmin[..g], &gmax[..g]);
    if k == 1 {
        let lo = gmin.iter().fold(f32::INFINITY, |a, &x| a.min(x));
        let hi = gmax.iter().fold(f32::NEG_INFINITY, |a, &x| a.max(x));
        return (lo as f64, hi as f64);
    }
    let mut kth = |groups: &[f32], descending: bool| -> f64 {
        let cmp = |a: &f32, b: &f32| {
            if descending {
                b.total_cmp(a)
            } else {
                a.total_cmp(b)
            }
        };
        // τ: the k-th group extreme. With fewer groups than k (only for
        // k > 64, never with librosa's defaults) every group is gathered.
        scratch.clear();
        scratch.extend_from_slice(groups);
        let tau = if k <= g {
            *scratch.select_nth_unstable_by(k - 1, cmp).1
        } else if descending {
            f32::NEG_INFINITY
        } else {
            f32::INFINITY
        };
        scratch.clear();
        for (j, &e) in groups.iter().enumerate() {
            if cmp(&e, &tau).is_le() {
                scratch.extend(v[j..].iter().step_by(g));
            }
        }
        scratch.select_nth_unstable_by(k - 1, cmp);
        mean(&scratch[..k])
    };
    let low = kth(gmin, false);
    let high = kth(gmax, true);
    (low, high)
}

/// Most groups `extremes_mean` splits a band into.
const MAX_GROUPS: usize = 64;

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
        let mut s = v.clone();
        s.sort_by(f32::total_cmp);
        for k in [1, 2, 3, 6, 9] {
            let (lo, hi) = extremes_mean(&v, k, &mut Vec::new());
            let elo: f64 = s[..k].iter().map(|&x| x as f64).sum::<f64>() / k as f64;
            let ehi: f64 = s[s.len() - k..].iter().map(|&x| x as f64).sum::<f64>() / k as f64;
            assert_eq!((lo, hi), (elo, ehi), "k={k}");
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

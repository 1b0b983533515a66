//! Chromagram from the power spectrogram (librosa `feature.chroma_stft`).
//!
//! librosa 0.11 with its defaults does three things, reproduced here step by
//! step (the comments name the librosa function each block mirrors):
//!
//! 1. `estimate_tuning(S=power)`: `piptrack` finds parabolically interpolated
//!    spectral peaks between 150 and 4000 Hz, keeps those whose magnitude is
//!    at least the median, and `pitch_tuning` takes the peak of a histogram of
//!    their deviations from the equal-tempered grid (resolution 0.01).
//! 2. `filters.chroma(sr, n_fft, tuning)`: a 12 × 1025 bank of Gaussian bumps
//!    per pitch class, shaped by an octave Gaussian (centre octave 5, width 2),
//!    starting at C.
//! 3. The bank is applied to the power spectrogram and each frame is divided
//!    by its maximum (`normalize(norm=inf)`), leaving all-zero frames at zero.
//!
//! Where librosa mixes float32 and float64 arithmetic we follow its dtypes, so
//! that a spectrogram identical to librosa's gives the same tuning bin.

use std::sync::{Arc, Mutex, OnceLock};

use super::simd::avx2_dispatch;
use super::stft::Spectrogram;
use super::{Matrix, N_BINS, N_FFT, SR};

/// Number of pitch classes.
pub const N_CHROMA: usize = 12;

/// `piptrack` defaults.
const PIP_FMIN: f64 = 150.0;
const PIP_FMAX: f64 = 4000.0;
const PIP_THRESHOLD: f32 = 0.1;
/// `pitch_tuning` histogram resolution: 100 bins over [-0.5, 0.5].
const TUNING_BINS: usize = 100;

/// Chroma (12 × frames, norm = inf per frame) with tuning estimated from the
/// spectrogram as librosa does; returns the chroma and the tuning (semitones).
pub fn chroma_stft(spec: &Spectrogram) -> (Matrix, f32) {
    let tuning = estimate_tuning(spec);
    (chroma_with_tuning(spec, tuning), tuning as f32)
}

/// The chromagram of `spec` for a known `tuning` (the projection and
/// normalisation steps of [`chroma_stft`]).
pub(crate) fn chroma_with_tuning(spec: &Spectrogram, tuning: f64) -> Matrix {
    let bank = filter_bank(tuning);
    let n = spec.n_frames;
    let mut out = Matrix::zeros(N_CHROMA, n);
    for (t, frame) in spec.frames().enumerate() {
        let raw = bank.apply(frame);
        // normalize(norm=inf): librosa compares the max with float32's
        // smallest normal number and leaves smaller frames undivided, which
        // keeps silent frames at exactly zero instead of 0/0.
        let max = raw.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
        let len = if (max as f64) < f32::MIN_POSITIVE as f64 {
            1.0
        } else {
            max as f64
        };
        for (c, &r) in raw.iter().enumerate() {
            out.set(c, t, (r as f64 / len) as f32);
        }
    }
    out
}

/// librosa `estimate_tuning(S=power, sr=22050, n_fft=2048, bins_per_octave=12)`.
///
/// Returns the tuning in fractions of a semitone, one of librosa's histogram
/// edges (-0.5, -0.49, …, 0.49), or 0 when no pitch was found.
pub fn estimate_tuning(spec: &Spectrogram) -> f64 {
    let mut peaks = Peaks::default();
    for s in spec.frames() {
        peaks.push(s);
    }
    peaks.tuning()
}

/// The non-zero output of librosa `piptrack` on a power spectrogram with its
/// defaults, gathered one frame at a time: (pitch Hz, interpolated
/// magnitude) of every retained peak.
///
/// Only the detected peaks matter to `estimate_tuning` (`pitch > 0`), so we
/// keep them as a list instead of two dense matrices.
#[derive(Debug, Default)]
pub(crate) struct Peaks {
    pitches: Vec<f32>,
    mags: Vec<f32>,
}

impl Peaks {
    /// Add the peaks of the next frame's power spectrum.
    pub(crate) fn push(&mut self, power: &[f32]) {
        peak_frame(self, power);
    }

    /// `estimate_tuning` from the peaks of all frames pushed.
    pub(crate) fn tuning(&self) -> f64 {
        if self.pitches.is_empty() {
            // No peak anywhere (e.g. silence): librosa's threshold is 0 and
            // the pitch set is empty, so `pitch_tuning` returns 0.
            return 0.0;
        }
        let threshold = median_f32(&self.mags);
        let kept = self
            .pitches
            .iter()
            .zip(&self.mags)
            .filter(|&(_, &m)| m >= threshold)
            .map(|(&p, _)| p);
        pitch_tuning(kept)
    }
}

avx2_dispatch! {
    /// One frame of [`Peaks`] (librosa `piptrack`).
    fn peak_frame(acc: &mut Peaks, s: &[f32]) => peak_frame_avx2, peak_frame_portable
}

#[inline(always)]
fn peak_frame_portable(acc: &mut Peaks, s: &[f32]) {
    let (lo, hi) = pip_range();
    let Peaks { pitches, mags } = acc;
    // ref_value = threshold * max over the whole frame (float32).
    let ref_value = PIP_THRESHOLD * max_of(s);
    // librosa masks bins at or below the threshold to 0 (S * (S >
    // ref_value)) and keeps local maxima of the masked spectrum
    // (x[k] > x[k−1] and x[k] ≥ x[k+1]). A masked-out bin is never a peak
    // and never beats an unmasked neighbour, so that is exactly: s[k] >
    // ref, s[k] > s[k−1], s[k] ≥ s[k+1], on the raw spectrum. lo ≥ 1 and
    // hi ≤ N_BINS − 2, so both neighbours exist and librosa's edge rules
    // for `localmax` and the interpolation never apply.
    let is_peak = |k: usize| (s[k] > ref_value) & (s[k] > s[k - 1]) & (s[k] >= s[k + 1]);
    // Peaks are rare: test 8 bins at a time with branch-free compares
    // (vectorised) and look closer only at chunks that hold one.
    let (centre, left, right) = (&s[lo..hi], &s[lo - 1..hi - 1], &s[lo + 1..hi + 1]);
    let (cc, _) = centre.as_chunks::<8>();
    let (lc, _) = left.as_chunks::<8>();
    let (rc, _) = right.as_chunks::<8>();
    let mut k0 = lo;
    for ((c, l), r) in cc.iter().zip(lc).zip(rc) {
        let mut any = false;
        for i in 0..8 {
            any |= (c[i] > ref_value) & (c[i] > l[i]) & (c[i] >= r[i]);
        }
        if any {
            for k in (k0..k0 + 8).filter(|&k| is_peak(k)) {
                push_peak(s, k, pitches, mags);
            }
        }
        k0 += 8;
    }
    for k in (k0..hi).filter(|&k| is_peak(k)) {
        push_peak(s, k, pitches, mags);
    }
}

/// Record the parabolically interpolated pitch and magnitude of the peak at
/// bin `k` (1 ≤ k < N_BINS − 1), as librosa `piptrack` computes them.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn push_peak(s: &[f32], k: usize, pitches: &mut Vec<f32>, mags: &mut Vec<f32>) {
    let (xm, x0, xp) = (s[k - 1], s[k], s[k + 1]);
    // _parabolic_interpolation: numba promotes `2 * x0` and `/ 2` to
    // float64 while `x1 + x-1` and `x1 - x-1` stay float32.
    let a = (xp + xm) as f64 - 2.0 * x0 as f64;
    let b = (xp - xm) as f64 / 2.0;
    let shift = if b.abs() >= a.abs() {
        0.0f32
    } else {
        (-b / a) as f32
    };
    // np.gradient (float32) and dskew = 0.5 * avg * shift.
    let avg = (xp - xm) / 2.0;
    let dskew = 0.5f32 * avg * shift;
    let pitch = ((k as f64 + shift as f64) * SR as f64 / N_FFT as f64) as f32;
    pitches.push(pitch);
    mags.push(x0 + dskew);
}

avx2_dispatch! {
    /// Maximum of non-negative `v` (0 when empty) in 8 independent lanes: a
    /// single running `max` is a chain of 1025 dependent operations per frame.
    fn max_of(v: &[f32]) -> f32 => max_of_avx2, max_of_portable
}

#[inline(always)]
fn max_of_portable(v: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (chunks, rest) = v.as_chunks::<8>();
    for c in chunks {
        for l in 0..8 {
            lanes[l] = if c[l] > lanes[l] { c[l] } else { lanes[l] };
        }
    }
    rest.iter().chain(&lanes).fold(0.0f32, |m, &x| m.max(x))
}

/// Bin range `[lo, hi)` of `fmin <= fft_freqs < fmax` (fft_freqs as numpy's
/// `rfftfreq` computes them), clamped so every bin has two neighbours.
/// Computed once (it is needed for every frame).
fn pip_range() -> (usize, usize) {
    static R: OnceLock<(usize, usize)> = OnceLock::new();
    *R.get_or_init(pip_range_uncached)
}

fn pip_range_uncached() -> (usize, usize) {
    let val = 1.0 / (N_FFT as f64 * (1.0 / SR as f64));
    let fmax = PIP_FMAX.min(SR as f64 / 2.0);
    let lo = (0..N_BINS)
        .find(|&k| k as f64 * val >= PIP_FMIN)
        .unwrap_or(N_BINS);
    let hi = (0..N_BINS)
        .find(|&k| k as f64 * val >= fmax)
        .unwrap_or(N_BINS);
    (lo.max(1), hi.min(N_BINS - 1))
}

/// `np.median` of a float32 array: the middle value, or for an even count the
/// float32 mean of the two middle values. `v` must not be empty.
fn median_f32(v: &[f32]) -> f32 {
    let mut w = v.to_vec();
    let n = w.len();
    let (lower, &mut upper, _) = w.select_nth_unstable_by(n / 2, f32::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        (below + upper) / 2.0
    }
}

/// librosa `pitch_tuning(frequencies, resolution=0.01, bins_per_octave=12)`.
fn pitch_tuning(frequencies: impl Iterator<Item = f32>) -> f64 {
    let edges = histogram_edges();
    let mut counts = [0u32; TUNING_BINS];
    let mut any = false;
    for f in frequencies.filter(|&f| f > 0.0) {
        any = true;
        // hz_to_octs(tuning=0) in float32: log2(f / 27.5), times 12, mod 1.
        let octs = (f / 27.5f32).log2();
        let mut r = (12.0f32 * octs) % 1.0;
        if r < 0.0 {
            r += 1.0; // np.mod takes the sign of the divisor
        }
        if r >= 0.5 {
            r -= 1.0;
        }
        // np.histogram with explicit edges: bin i is [e_i, e_{i+1}), the last
        // one closed; values outside [e_0, e_100] are dropped.
        let r = r as f64;
        if !(edges[0]..=edges[TUNING_BINS]).contains(&r) {
            continue;
        }
        let i = edges.partition_point(|&e| e <= r).saturating_sub(1);
        counts[i.min(TUNING_BINS - 1)] += 1;
    }
    if !any {
        return 0.0;
    }
    // np.argmax: the first maximum.
    let mut best = 0;
    for (i, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = i;
        }
    }
    edges[best]
}

/// `np.linspace(-0.5, 0.5, 101)` computed as numpy does (`i * step + start`,
/// last value set to `stop`), so returned tunings equal librosa's bit for bit.
fn histogram_edges() -> &'static [f64; TUNING_BINS + 1] {
    static E: OnceLock<[f64; TUNING_BINS + 1]> = OnceLock::new();
    E.get_or_init(|| {
        let step = 1.0 / TUNING_BINS as f64;
        let mut e = [0.0; TUNING_BINS + 1];
        for (i, v) in e.iter_mut().enumerate() {
            *v = i as f64 * step + -0.5;
        }
        e[TUNING_BINS] = 0.5;
        e
    })
}

/// Chunk width of [`Bank`]: one AVX register of f32.
const LANES: usize = 8;
/// Whole chunks per frame; the last bin (Nyquist) is the remainder.
const CHUNKS: usize = N_BINS / LANES;

/// The chroma filter bank laid out for [`Bank::apply`]: for each chunk of 8
/// FFT bins, the 12 rows' weights side by side.
///
/// Why: the 12 dot products of a frame then share each load of the frame
/// chunk (12 accumulators stay in registers), instead of streaming the frame
/// 12 times. Each row's sum runs in the same 8 lanes, in the same order, as
/// [`super::matrix::dot`], so the values are those of 12 separate dots.
struct Bank {
    chunks: Vec<[[f32; LANES]; N_CHROMA]>,
    /// Weights of the bins after the last whole chunk, per row.
    tail: Vec<[f32; N_CHROMA]>,
}

impl Bank {
    fn new(rows: &[f32]) -> Self {
        let w = |c: usize, k: usize| rows[c * N_BINS + k];
        Bank {
            chunks: (0..CHUNKS)
                .map(|j| std::array::from_fn(|c| std::array::from_fn(|l| w(c, j * LANES + l))))
                .collect(),
            tail: (CHUNKS * LANES..N_BINS)
                .map(|k| std::array::from_fn(|c| w(c, k)))
                .collect(),
        }
    }

    /// The 12 raw chroma values of one power spectrum frame.
    fn apply(&self, frame: &[f32]) -> [f32; N_CHROMA] {
        bank_apply(self, frame)
    }
}

avx2_dispatch! {
    /// [`Bank::apply`], a kernel of its own so its 12 accumulators are
    /// reliably kept in vector registers.
    fn bank_apply(bank: &Bank, frame: &[f32]) -> [f32; N_CHROMA]
        => bank_apply_avx2, bank_apply_portable
}

#[inline(always)]
fn bank_apply_portable(bank: &Bank, frame: &[f32]) -> [f32; N_CHROMA] {
    let (xs, rest) = frame.as_chunks::<LANES>();
    let mut acc = [[0.0f32; LANES]; N_CHROMA];
    for (x, w) in xs.iter().zip(&bank.chunks) {
        for c in 0..N_CHROMA {
            for l in 0..LANES {
                acc[c][l] += w[c][l] * x[l];
            }
        }
    }
    std::array::from_fn(|c| {
        let tail: f32 = rest.iter().zip(&bank.tail).map(|(x, w)| w[c] * x).sum();
        acc[c].iter().sum::<f32>() + tail
    })
}

/// The chroma filter bank for `tuning`, cached: tuning takes one of ~100
/// values, and building the bank costs 12 × 1025 `exp` calls.
fn filter_bank(tuning: f64) -> Arc<Bank> {
    type Cache = Mutex<Vec<(u64, Arc<Bank>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    let key = tuning.to_bits();
    // A poisoned lock only means another thread panicked mid-insert; the
    // cached banks are still valid, so recover the guard.
    let mut guard = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, b)) = guard.iter().find(|(k, _)| *k == key) {
        return b.clone();
    }
    let bank = Arc::new(Bank::new(&chroma_filter_bank(tuning)));
    guard.push((key, bank.clone()));
    bank
}

/// librosa `filters.chroma(sr=22050, n_fft=2048, tuning, n_chroma=12,
/// ctroct=5, octwidth=2, norm=2, base_c=True)`: row-major 12 × 1025, float32.
pub fn chroma_filter_bank(tuning: f64) -> Vec<f32> {
    let nc = N_CHROMA as f64;
    // FFT bin frequencies without DC: linspace(0, sr, n_fft, endpoint=False)[1:].
    let step = SR as f64 / N_FFT as f64;
    let a440 = 440.0 * 2f64.powf(tuning / nc);
    // frqbins for bins 0..N_BINS (+1 to get the last bin width).
    let mut frq = vec![0.0f64; N_BINS + 1];
    for (k, v) in frq.iter_mut().enumerate().skip(1) {
        *v = nc * ((k as f64 * step) / (a440 / 16.0)).log2();
    }
    // The 0 Hz bin gets a made-up value 1.5 octaves below bin 1.
    frq[0] = frq[1] - 1.5 * nc;
    let width: Vec<f64> = (0..N_BINS)
        .map(|k| (frq[k + 1] - frq[k]).max(1.0))
        .collect();

    let n_chroma2 = (nc / 2.0).round();
    let mut wts = vec![0.0f64; N_CHROMA * N_BINS];
    for k in 0..N_BINS {
        for c in 0..N_CHROMA {
            // Distance to pitch class c, wrapped into [-6, 6); the +10·12
            // offset keeps fmod's argument positive, as in librosa.
            let d = (frq[k] - c as f64 + n_chroma2 + 10.0 * nc) % nc - n_chroma2;
            let z = 2.0 * d / width[k];
            wts[c * N_BINS + k] = (-0.5 * z * z).exp();
        }
        // Column L2 normalisation (numbers below float64's tiny stay as is).
        let norm = (0..N_CHROMA)
            .map(|c| wts[c * N_BINS + k].powi(2))
            .sum::<f64>()
            .sqrt();
        let len = if norm < f64::MIN_POSITIVE { 1.0 } else { norm };
        // Octave weighting: Gaussian centred on octave 5, 2 octaves wide.
        let o = (frq[k] / nc - 5.0) / 2.0;
        let oct = (-0.5 * o * o).exp();
        for c in 0..N_CHROMA {
            wts[c * N_BINS + k] = wts[c * N_BINS + k] / len * oct;
        }
    }
    // base_c: roll rows by -3 so row 0 is C (the grid above starts at A).
    let mut out = vec![0.0f32; N_CHROMA * N_BINS];
    for r in 0..N_CHROMA {
        let src = (r + 3) % N_CHROMA;
        for k in 0..N_BINS {
            out[r * N_BINS + k] = wts[src * N_BINS + k] as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::stft::power_spectrogram;

    #[test]
    fn histogram_edges_are_numpys() {
        let e = histogram_edges();
        assert_eq!(e[0], -0.5);
        assert_eq!(e[52], 0.020000000000000018);
        assert_eq!(e[100], 0.5);
    }

    #[test]
    fn silence_has_zero_tuning_and_zero_chroma() {
        let s = power_spectrogram(&vec![0.0; 4096]);
        let (c, t) = chroma_stft(&s);
        assert_eq!(t, 0.0);
        assert!(c.data.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn a440_peaks_on_a() {
        let y: Vec<f32> = (0..22050)
            .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 22050.0).sin())
            .collect();
        let (c, _) = chroma_stft(&power_spectrogram(&y));
        // Row 9 is A (rows start at C).
        assert_eq!(c.get(9, 20), 1.0);
        assert!((0..12).filter(|&r| r != 9).all(|r| c.get(r, 20) < 1.0));
    }

    #[test]
    fn empty_and_tiny_inputs_are_finite() {
        for n in [0usize, 1, 2, 511, 512, 2047] {
            let y: Vec<f32> = (0..n).map(|i| (i as f32 * 0.3).sin()).collect();
            let (c, t) = chroma_stft(&power_spectrogram(&y));
            assert!(t.is_finite());
            assert!(c.data.iter().all(|v| v.is_finite()), "n={n}");
        }
    }
}

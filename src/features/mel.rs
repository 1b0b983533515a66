//! Mel spectrogram and power→dB conversion as librosa 0.11 computes them:
//! `filters.mel(sr=22050, n_fft=2048, n_mels=128, fmin=0, fmax=sr/2,
//! htk=False, norm='slaney')`, `feature.melspectrogram` (power 2) and
//! `power_to_db(S, ref=1.0, amin=1e-10, top_db=80)`.
//!
//! The filterbank is stored sparsely: a Slaney triangle covers only a few
//! FFT bins (2018 non-zero weights out of 128 × 1025), so the projection is
//! ~60× cheaper than a dense matrix product.

use std::sync::OnceLock;

use super::matrix::dot;
use super::simd::avx2_dispatch;
use super::stft::Spectrogram;
use super::{Matrix, N_FFT, SR};

/// Number of mel bands (librosa default).
pub const N_MELS: usize = 128;
/// `amin` of librosa `power_to_db`: the floor applied before the logarithm.
pub const AMIN: f32 = 1e-10;
/// `top_db` of librosa `power_to_db`: dynamic range kept below the maximum.
pub const TOP_DB: f32 = 80.0;

/// One mel filter: its non-zero weights and the FFT bin of the first one.
#[derive(Debug, Clone)]
pub struct MelFilter {
    /// First FFT bin with a non-zero weight.
    pub start: usize,
    /// Weights of bins `start..start + weights.len()`.
    pub weights: Vec<f32>,
}

/// Slaney mel scale (librosa `hz_to_mel(htk=False)`): linear below 1 kHz,
/// logarithmic above.
fn hz_to_mel(f: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if f >= min_log_hz {
        min_log_mel + (f / min_log_hz).ln() / logstep
    } else {
        f / f_sp
    }
}

/// Inverse of [`hz_to_mel`] (librosa `mel_to_hz(htk=False)`).
fn mel_to_hz(m: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if m >= min_log_mel {
        min_log_hz * (logstep * (m - min_log_mel)).exp()
    } else {
        f_sp * m
    }
}

/// Build the filterbank exactly as librosa `filters.mel` does (in f64, then
/// rounded to f32 like librosa's `dtype=np.float32`).
fn build_filterbank() -> Vec<MelFilter> {
    slaney_filterbank(SR, N_FFT, N_MELS)
}

/// librosa `filters.mel(sr, n_fft, n_mels, fmin=0, fmax=sr/2, htk=False,
/// norm='slaney')` for any size, stored sparsely.
pub fn slaney_filterbank(sr: u32, n_fft: usize, n_mels: usize) -> Vec<MelFilter> {
    // numpy `rfftfreq(n, d=1/sr)` computes k * (1 / (n * d)); mirror the
    // rounding so weights that are exactly zero in librosa stay zero here.
    let val = 1.0 / (n_fft as f64 * (1.0 / sr as f64));
    let fftfreqs: Vec<f64> = (0..n_fft / 2 + 1).map(|k| k as f64 * val).collect();
    // `mel_frequencies(n_mels + 2, fmin=0, fmax=sr/2)`: np.linspace in mel.
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sr as f64 / 2.0));
    let n = n_mels + 2;
    let step = (hi - lo) / (n - 1) as f64;
    let mel_f: Vec<f64> = (0..n)
        .map(|i| {
            // np.linspace sets the last point to `stop` exactly.
            let m = if i == n - 1 { hi } else { lo + i as f64 * step };
            mel_to_hz(m)
        })
        .collect();
    (0..n_mels)
        .map(|i| {
            let fdiff_lo = mel_f[i + 1] - mel_f[i];
            let fdiff_hi = mel_f[i + 2] - mel_f[i + 1];
            let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
            let w: Vec<f32> = fftfreqs
                .iter()
                .map(|&f| {
                    let lower = -(mel_f[i] - f) / fdiff_lo;
                    let upper = (mel_f[i + 2] - f) / fdiff_hi;
                    // librosa stores the triangle in a float32 array, then
                    // `weights *= enorm` multiplies in f64 and rounds again.
                    let tri = 0.0f64.max(lower.min(upper)) as f32;
                    (tri as f64 * enorm) as f32
                })
                .collect();
            let start = w.iter().position(|&x| x > 0.0).unwrap_or(0);
            let end = w.iter().rposition(|&x| x > 0.0).map_or(start, |e| e + 1);
            MelFilter {
                start,
                weights: w[start..end].to_vec(),
            }
        })
        .collect()
}

/// The 128 Slaney-normalised mel filters (built once, shared).
pub fn filterbank() -> &'static [MelFilter] {
    static FB: OnceLock<Vec<MelFilter>> = OnceLock::new();
    FB.get_or_init(build_filterbank)
}

/// Mel power spectrogram (librosa `feature.melspectrogram` with defaults):
/// `N_MELS` rows × frames.
pub fn melspectrogram(spec: &Spectrogram) -> Matrix {
    let cols = spec.n_frames;
    let mut out = Matrix::zeros(N_MELS, cols);
    let mut col = [0.0f32; N_MELS];
    for (t, frame) in spec.frames().enumerate() {
        mel_frame(frame, &mut col);
        set_column(&mut out, t, &col);
    }
    out
}

/// Write `col` into column `t` of `m`.
pub(crate) fn set_column(m: &mut Matrix, t: usize, col: &[f32]) {
    for (r, &v) in col.iter().enumerate().take(m.rows) {
        m.set(r, t, v);
    }
}

avx2_dispatch! {
    /// The `N_MELS` mel band powers of one power spectrum frame.
    pub(crate) fn mel_frame(frame: &[f32], out: &mut [f32; N_MELS])
        => mel_frame_avx2, mel_frame_portable
}

#[inline(always)]
fn mel_frame_portable(frame: &[f32], out: &mut [f32; N_MELS]) {
    for (o, f) in out.iter_mut().zip(filterbank()) {
        let bins = &frame[f.start..f.start + f.weights.len()];
        *o = dot(bins, &f.weights);
    }
}

/// `10·log10(x)` for positive finite `x`, accurate to ~1e-6 dB, and written
/// without branches or calls so the dB conversion of a whole spectrogram
/// vectorises (libm's `log10f` costs ~10 ns per value, more than the mel
/// projection itself). Cephes `logf` polynomial on the mantissa.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn db10(x: f32) -> f32 {
    const SQRTHF: f32 = std::f32::consts::FRAC_1_SQRT_2;
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 126;
    // Mantissa in [0.5, 1).
    let m = f32::from_bits((bits & 0x807f_ffff) | 0x3f00_0000);
    let small = m < SQRTHF;
    e -= small as i32;
    let x = if small { m + m - 1.0 } else { m - 1.0 };
    let e = e as f32;
    let z = x * x;
    let mut y = 7.037_683_6e-2;
    for c in [
        -1.151_461e-1,
        1.167_699_9e-1,
        -1.242_014_1e-1,
        1.424_932_3e-1,
        -1.666_805_8e-1,
        2.000_071_4e-1,
        -2.499_999_4e-1,
        3.333_333e-1,
    ] {
        y = y * x + c;
    }
    let mut y = y * x * z;
    y += -2.121_944_4e-4 * e;
    y += -0.5 * z;
    let ln = x + y + 0.693_359_4 * e;
    // 10 / ln(10)
    4.342_944_8 * ln
}

/// Maximum of `values` (−∞ when empty), with 8 independent lanes so it
/// vectorises.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn max_of(values: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = values.chunks_exact(8);
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    for c in chunks {
        for i in 0..8 {
            lanes[i] = if c[i] > lanes[i] { c[i] } else { lanes[i] };
        }
    }
    lanes.iter().fold(tail, |a, &b| a.max(b))
}

avx2_dispatch! {
    /// librosa `power_to_db(S, ref=1.0, amin, top_db)` in place over all of
    /// `values`: `10·log10(max(amin, S))`, then, if `top_db` is given, floored at
    /// (maximum over all values − top_db). Never produces NaN or ±inf for finite,
    /// non-negative input (NaN input is treated as `amin`).
    pub fn power_to_db_with(values: &mut [f32], amin: f32, top_db: Option<f32>)
        => power_to_db_with_avx2, power_to_db_with_portable
}

#[inline(always)]
fn power_to_db_with_portable(values: &mut [f32], amin: f32, top_db: Option<f32>) {
    let amin = if amin > 0.0 && amin.is_finite() {
        amin
    } else {
        AMIN
    };
    // Three simple passes rather than one fused loop: each is vectorised.
    for v in values.iter_mut() {
        // `f32::max`/`min` return the non-NaN operand, so NaN input becomes
        // amin; clamping +inf to f32::MAX keeps the result finite.
        *v = db10(v.max(amin).min(f32::MAX));
    }
    let max = max_of(values);
    if let Some(top) = top_db {
        let floor = max - top;
        for v in values.iter_mut() {
            *v = v.max(floor);
        }
    }
}

/// librosa `power_to_db` with its defaults (ref 1.0, amin 1e-10, top_db 80)
/// in place; reusable by any feature that converts power to dB.
pub fn power_to_db(values: &mut [f32]) {
    power_to_db_with(values, AMIN, Some(TOP_DB));
}

/// Log-mel spectrogram in dB (`power_to_db(melspectrogram(S))`), the shared
/// input of MFCC and onset strength.
#[inline(always)] // compiled into its caller's AVX2 copy too
pub fn mel_db(spec: &Spectrogram) -> Matrix {
    let mut m = melspectrogram(spec);
    power_to_db(&mut m.data);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values printed by librosa 0.11 in the project's venv:
    /// `M = librosa.filters.mel(sr=22050, n_fft=2048)` then, per band `i`,
    /// the first/last non-zero bin, the first non-zero weight, max and argmax.
    #[test]
    fn filterbank_matches_librosa() {
        let fb = filterbank();
        let expect: [(usize, usize, usize, f32, f32, usize); 6] = [
            (0, 1, 4, 0.016182853, 0.032365706, 2),
            (1, 3, 7, 0.009779235, 0.035393704, 5),
            (10, 24, 28, 0.000_695_238_65, 0.033060946, 26),
            (50, 126, 132, 0.006300058, 0.023956193, 129),
            (100, 474, 499, 0.000_305_153_95, 0.0070562446, 486),
            (127, 971, 1023, 7.184_815_3e-6, 0.0034852505, 997),
        ];
        for (i, first, last, w0, wmax, argmax) in expect {
            let f = &fb[i];
            assert_eq!(f.start, first, "band {i}");
            assert_eq!(f.start + f.weights.len() - 1, last, "band {i}");
            assert!((f.weights[0] - w0).abs() <= 1e-6 * w0, "band {i}");
            let (am, mx) = f
                .weights
                .iter()
                .enumerate()
                .fold((0, 0.0f32), |a, (k, &w)| if w > a.1 { (k, w) } else { a });
            assert!((mx - wmax).abs() <= 1e-6 * wmax, "band {i}");
            assert_eq!(f.start + am, argmax, "band {i}");
        }
        // librosa: np.count_nonzero(M) == 2018.
        let nz: usize = fb
            .iter()
            .map(|f| f.weights.iter().filter(|&&w| w > 0.0).count())
            .sum();
        assert_eq!(nz, 2018);
    }

    #[test]
    fn fast_db_matches_log10() {
        let mut worst = 0.0f64;
        let mut x = 1e-10f32;
        while x < 1e30 {
            let want = 10.0 * (x as f64).log10();
            worst = worst.max((db10(x) as f64 - want).abs());
            x *= 1.001_7;
        }
        for x in [f32::MAX, f32::MIN_POSITIVE, 1.0, 0.5, 2.0, 0.707_106_77] {
            worst = worst.max((db10(x) as f64 - 10.0 * (x as f64).log10()).abs());
        }
        assert!(worst < 5e-5, "worst error {worst} dB");
    }

    #[test]
    fn power_to_db_floors_and_never_nans() {
        let mut v = vec![0.0, 1.0, 100.0, 1e-20, f32::NAN];
        power_to_db(&mut v);
        let want = [-60.0, 0.0, 20.0, -60.0, -60.0];
        assert!(
            v.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-4),
            "{v:?}"
        );
        let mut z = vec![0.0f32; 4];
        power_to_db(&mut z);
        assert!(z.iter().all(|&x| (x + 100.0).abs() < 1e-4));
        let mut inf = vec![f32::INFINITY, 1.0];
        power_to_db(&mut inf);
        assert!(inf.iter().all(|x| x.is_finite()));
        let mut e: Vec<f32> = Vec::new();
        power_to_db(&mut e);
    }
}

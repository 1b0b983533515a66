//! Mel spectrogram and power→dB conversion as librosa 0.11 computes them:
//! `filters.mel(sr=22050, n_fft=2048, n_mels=128, fmin=0, fmax=sr/2,
//! htk=False, norm='slaney')`, `feature.melspectrogram` (power 2) and
//! `power_to_db(S, ref=1.0, amin=1e-10, top_db=80)`.
//!
//! The filterbank is stored sparsely: a Slaney triangle covers only a few
//! FFT bins (2018 non-zero weights out of 128 × 1025), so the projection is
//! ~60× cheaper than a dense matrix product.

use std::sync::OnceLock;

use super::stft::Spectrogram;
use super::{Matrix, N_BINS, N_FFT, SR};

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
    // numpy `rfftfreq(n, d=1/sr)` computes k * (1 / (n * d)); mirror the
    // rounding so weights that are exactly zero in librosa stay zero here.
    let val = 1.0 / (N_FFT as f64 * (1.0 / SR as f64));
    let fftfreqs: Vec<f64> = (0..N_BINS).map(|k| k as f64 * val).collect();
    // `mel_frequencies(n_mels + 2, fmin=0, fmax=sr/2)`: np.linspace in mel.
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(SR as f64 / 2.0));
    let n = N_MELS + 2;
    let step = (hi - lo) / (n - 1) as f64;
    let mel_f: Vec<f64> = (0..n)
        .map(|i| {
            // np.linspace sets the last point to `stop` exactly.
            let m = if i == n - 1 { hi } else { lo + i as f64 * step };
            mel_to_hz(m)
        })
        .collect();
    (0..N_MELS)
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
    let fb = filterbank();
    let cols = spec.n_frames;
    let mut out = Matrix::zeros(N_MELS, cols);
    for (t, frame) in spec.frames().enumerate() {
        for (m, f) in fb.iter().enumerate() {
            let bins = &frame[f.start..f.start + f.weights.len()];
            let s: f32 = bins.iter().zip(&f.weights).map(|(a, b)| a * b).sum();
            out.data[m * cols + t] = s;
        }
    }
    out
}

/// librosa `power_to_db(S, ref=1.0, amin, top_db)` in place over all of
/// `values`: `10·log10(max(amin, S))`, then, if `top_db` is given, floored at
/// (maximum over all values − top_db). Never produces NaN or ±inf for finite,
/// non-negative input (NaN input is treated as `amin`).
pub fn power_to_db_with(values: &mut [f32], amin: f32, top_db: Option<f32>) {
    let mut max = f32::NEG_INFINITY;
    for v in values.iter_mut() {
        // `f32::max` returns the non-NaN operand, so NaN input becomes amin.
        let db = 10.0 * v.max(amin).log10();
        max = max.max(db);
        *v = db;
    }
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
    fn power_to_db_floors_and_never_nans() {
        let mut v = vec![0.0, 1.0, 100.0, 1e-20, f32::NAN];
        power_to_db(&mut v);
        assert_eq!(v, vec![-60.0, 0.0, 20.0, -60.0, -60.0]);
        let mut z = vec![0.0f32; 4];
        power_to_db(&mut z);
        assert!(z.iter().all(|&x| x == -100.0));
        let mut e: Vec<f32> = Vec::new();
        power_to_db(&mut e);
    }
}

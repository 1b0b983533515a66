//! Mel-frequency cepstral coefficients (librosa `feature.mfcc` defaults:
//! 20 coefficients, DCT-II with `norm='ortho'` over the 128 log-mel bands,
//! no liftering).

use std::sync::OnceLock;

use super::mel::N_MELS;
use super::simd::avx2_dispatch;
use super::Matrix;

/// Number of MFCCs kept.
pub const N_MFCC: usize = 20;

/// Orthonormal DCT-II basis, `N_MFCC × N_MELS` row-major (scipy
/// `dct(type=2, norm='ortho')`): row 0 scaled by √(1/N), others by √(2/N).
fn dct_basis() -> &'static [f32] {
    static B: OnceLock<Vec<f32>> = OnceLock::new();
    B.get_or_init(|| {
        let n = N_MELS as f64;
        let mut b = Vec::with_capacity(N_MFCC * N_MELS);
        for k in 0..N_MFCC {
            let scale = if k == 0 {
                (1.0 / n).sqrt()
            } else {
                (2.0 / n).sqrt()
            };
            for i in 0..N_MELS {
                let c = (std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n)).cos();
                b.push((scale * c) as f32);
            }
        }
        b
    })
}

avx2_dispatch! {
    /// MFCCs (`N_MFCC` × frames) from a log-mel spectrogram in dB
    /// (`N_MELS` × frames, see [`super::mel::mel_db`]).
    ///
    /// Computed as a small matrix product that runs along frames (each mel row
    /// is scaled and added to each output row), so the inner loop is contiguous
    /// and vectorises.
    pub fn mfcc(mel_db: &Matrix) -> Matrix
        => mfcc_avx2, mfcc_portable
}

#[inline(always)]
fn mfcc_portable(mel_db: &Matrix) -> Matrix {
    debug_assert_eq!(mel_db.rows, N_MELS);
    let basis = dct_basis();
    let cols = mel_db.cols;
    let mut out = Matrix::zeros(N_MFCC, cols);
    for (k, out_row) in out.data.chunks_exact_mut(cols.max(1)).enumerate() {
        let coef = &basis[k * N_MELS..(k + 1) * N_MELS];
        for (i, &c) in coef.iter().enumerate().take(mel_db.rows) {
            for (o, &x) in out_row.iter_mut().zip(mel_db.row(i)) {
                *o += c * x;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_spectrum_has_only_c0() {
        // A flat −100 dB spectrum (what silence gives): librosa's mfcc is
        // −100·√128 = −1131.371 in c0 and 0 elsewhere.
        let mut m = Matrix::zeros(N_MELS, 3);
        m.data.iter_mut().for_each(|v| *v = -100.0);
        let c = mfcc(&m);
        assert_eq!((c.rows, c.cols), (N_MFCC, 3));
        assert!((c.get(0, 1) + 1131.3708).abs() < 5e-3, "{}", c.get(0, 1));
        for k in 1..N_MFCC {
            assert!(c.get(k, 2).abs() < 1e-3, "c{k} = {}", c.get(k, 2));
        }
    }

    #[test]
    fn basis_is_orthonormal() {
        let b = dct_basis();
        for i in 0..N_MFCC {
            for j in 0..N_MFCC {
                let d: f32 = (0..N_MELS)
                    .map(|n| b[i * N_MELS + n] * b[j * N_MELS + n])
                    .sum();
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((d - e).abs() < 1e-5);
            }
        }
    }
}

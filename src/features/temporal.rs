//! Time-domain frame features (librosa `zero_crossing_rate`, `rms`).
//!
//! Both use librosa's framing: frame 2048, hop 512, centred (1024 samples of
//! padding each side), so frame `t` covers samples `[512 t - 1024, 512 t +
//! 1024)` and there are `1 + len / 512` frames, the same as the STFT.
//!
//! A frame is exactly four 512-sample blocks (`t-2 ..= t+1`), so both features
//! are computed from per-block sums in O(n): each block is summed once and
//! each frame adds four block sums. Unlike a sliding running sum this cannot
//! drift, so a silent stretch after a loud one still gives exactly 0.

use super::simd::avx2_dispatch;
use super::{stft::n_frames, HOP, N_FFT};

/// Amplitude at or below which a sample counts as zero for crossings
/// (librosa `zero_crossings(threshold=1e-10)`).
const ZC_THRESHOLD: f32 = 1e-10;

avx2_dispatch! {
    /// Zero-crossing rate per frame (frame 2048, hop 512, centred, edge padding).
    ///
    /// librosa pads with `mode="edge"`, so the padding repeats the first/last
    /// sample and adds no crossings; a crossing at sample `i` (between `y[i-1]`
    /// and `y[i]`) counts in a frame when both samples are inside it. Samples with
    /// |y| ≤ 1e-10 count as zero and zero counts as positive (`zero_pos=True`).
    /// The rate is crossings / 2048 (librosa's mean over the frame).
    pub fn zero_crossing_rate(y: &[f32]) -> Vec<f32>
        => zero_crossing_rate_avx2, zero_crossing_rate_portable
}

#[inline(always)]
fn zero_crossing_rate_portable(y: &[f32]) -> Vec<f32> {
    let n = n_frames(y.len());
    let len = y.len();
    // negative[i]: the sign bit librosa compares after thresholding.
    let negative = |i: usize| y[i] < -ZC_THRESHOLD;
    let crossing = |i: usize| i >= 1 && i < len && negative(i) != negative(i - 1);
    // Crossings per 512-sample block (crossing at i belongs to block i / 512).
    // Counted branch-free so the loop vectorises: noisy audio makes a branch
    // on every sign change unpredictable.
    let n_blocks = len.div_ceil(HOP);
    let blocks: Vec<u32> = (0..n_blocks)
        .map(|b| {
            let lo = (b * HOP).max(1);
            let hi = ((b + 1) * HOP).min(len);
            if lo >= hi {
                return 0;
            }
            y[lo..hi]
                .iter()
                .zip(&y[lo - 1..hi - 1])
                .map(|(&a, &b)| ((a < -ZC_THRESHOLD) != (b < -ZC_THRESHOLD)) as u32)
                .sum()
        })
        .collect();
    let block = |b: isize| -> u32 {
        if b < 0 || b as usize >= n_blocks {
            0
        } else {
            blocks[b as usize]
        }
    };
    (0..n)
        .map(|t| {
            let t = t as isize;
            let h = HOP as isize;
            // Blocks t-2..=t+1 cover crossings at i in [512t-1024, 512t+1024);
            // the one at i = 512t-1024 pairs a sample outside the frame.
            let mut count = (t - 2..=t + 1).map(block).sum::<u32>();
            let first = t * h - (N_FFT as isize / 2);
            if first >= 0 && crossing(first as usize) {
                count -= 1;
            }
            (count as f64 / N_FFT as f64) as f32
        })
        .collect()
}

avx2_dispatch! {
    /// Root-mean-square energy per frame (frame 2048, hop 512, centred, zero padding).
    ///
    /// Sums of squares are accumulated in float64 per 512-sample block; librosa
    /// accumulates in float32, which differs from the exact value by ~1e-6
    /// relative.
    pub fn rms(y: &[f32]) -> Vec<f32>
        => rms_avx2, rms_portable
}

#[inline(always)]
fn rms_portable(y: &[f32]) -> Vec<f32> {
    let n = n_frames(y.len());
    let blocks: Vec<f64> = y.chunks(HOP).map(sum_squares).collect();
    let block = |b: isize| -> f64 {
        if b < 0 || b as usize >= blocks.len() {
            0.0
        } else {
            blocks[b as usize]
        }
    };
    (0..n)
        .map(|t| {
            let t = t as isize;
            let sum: f64 = (t - 2..=t + 1).map(block).sum();
            (sum / N_FFT as f64).sqrt() as f32
        })
        .collect()
}

/// Σ x² in float64 over 8 independent lanes (vectorisable; one running
/// float64 sum would wait on the add latency every sample).
#[inline(always)] // compiled into its caller's AVX2 copy too
fn sum_squares(c: &[f32]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = c.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|&x| (x as f64).powi(2)).sum();
    for ch in chunks {
        for (a, &x) in acc.iter_mut().zip(ch) {
            *a += (x as f64) * (x as f64);
        }
    }
    acc.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct transcription of librosa: edge-pad, frame, count, mean.
    fn zcr_naive(y: &[f32]) -> Vec<f32> {
        let half = N_FFT / 2;
        let at = |j: isize| -> f32 {
            let i = (j - half as isize).clamp(0, y.len() as isize - 1);
            let v = y[i as usize];
            if v.abs() <= ZC_THRESHOLD {
                0.0
            } else {
                v
            }
        };
        (0..n_frames(y.len()))
            .map(|t| {
                let s = (t * HOP) as isize;
                let c = (1..N_FFT as isize)
                    .filter(|&i| at(s + i).is_sign_negative() != at(s + i - 1).is_sign_negative())
                    .count();
                c as f32 / N_FFT as f32
            })
            .collect()
    }

    #[test]
    fn zcr_matches_naive_framing() {
        let y: Vec<f32> = (0..7000)
            .map(|i| ((i as f32 * 0.37).sin() + 0.3 * (i as f32 * 2.1).cos()) * 0.5)
            .chain([0.0, -0.0, 1e-11, -1e-11, 0.5, -0.5])
            .collect();
        for len in [1usize, 2, 511, 512, 513, 1024, 1025, 2048, 3000, y.len()] {
            assert_eq!(
                zero_crossing_rate(&y[..len]),
                zcr_naive(&y[..len]),
                "len={len}"
            );
        }
    }

    #[test]
    fn rms_matches_naive_framing() {
        let y: Vec<f32> = (0..5000).map(|i| (i as f32 * 0.01).sin()).collect();
        for len in [1usize, 700, 2048, 5000] {
            let y = &y[..len];
            let got = rms(y);
            for (t, g) in got.iter().enumerate() {
                let c = (t * HOP) as isize;
                let s: f64 = (c - 1024..c + 1024)
                    .filter(|&i| i >= 0 && (i as usize) < len)
                    .map(|i| (y[i as usize] as f64).powi(2))
                    .sum();
                let e = (s / 2048.0).sqrt() as f32;
                assert!((g - e).abs() <= 1e-6 * e.max(1e-6), "{g} vs {e}");
            }
        }
    }

    #[test]
    fn edge_cases() {
        assert_eq!(zero_crossing_rate(&[]), vec![0.0]);
        assert_eq!(rms(&[]), vec![0.0]);
        assert_eq!(zero_crossing_rate(&[0.3]), vec![0.0]);
        assert_eq!(rms(&[1.0]), vec![(1.0f32 / 2048.0).sqrt()]);
        // DC: no crossings; silence after a loud burst is exactly 0.
        assert!(zero_crossing_rate(&vec![0.5; 4096])
            .iter()
            .all(|&v| v == 0.0));
        let mut y = vec![1000.0f32; 8192];
        y.extend(vec![0.0; 8192]);
        assert_eq!(*rms(&y).last().unwrap(), 0.0);
    }
}

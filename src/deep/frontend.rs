//! musicnn's front end: the log-mel patches its network was trained on.
//!
//! musicnn (`extractor.batch_data`, and its training pipeline) computes, with
//! librosa: mono at 16 kHz; STFT of 512 points, hop 256, periodic Hann,
//! centred with reflect padding (the default of the librosa it was trained
//! with); power spectrum; 96 Slaney mel bands from 0 to 8 kHz; the result
//! stored as float16; `log10(10000·S + 1)`; non-overlapping patches of 187
//! frames (3 s), the tail dropped. This module does the same from musim's
//! mono 22050 Hz samples, resampling with musim's own soxr-HQ-like converter
//! (librosa's `load(sr=16000)` uses soxr HQ too), and is checked against
//! librosa's output in `tests/deep.rs`.

use std::sync::{Arc, OnceLock};

use realfft::{num_complex::Complex, RealFftPlanner, RealToComplex};

use crate::audio::resample::MonoResampler;
use crate::features::matrix::dot;
use crate::features::mel::{slaney_filterbank, MelFilter};

/// Sample rate of the network's input.
pub const SR: u32 = 16000;
/// FFT size.
pub const N_FFT: usize = 512;
/// Hop between frames.
pub const HOP: usize = 256;
/// Number of mel bands.
pub const N_MELS: usize = 96;
/// Frames per patch (3 s), the network's input length.
pub const PATCH_FRAMES: usize = 187;
/// Values per patch.
pub const PATCH_LEN: usize = PATCH_FRAMES * N_MELS;
/// Number of FFT bins.
const N_BINS: usize = N_FFT / 2 + 1;
/// Largest finite float16 value: where musicnn's float16 step saturates.
const F16_MAX: f32 = 65504.0;

/// A log-mel spectrogram, frame-major: frame `t` is
/// `data[t * N_MELS..(t + 1) * N_MELS]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogMel {
    /// Number of frames.
    pub frames: usize,
    /// `log10(10000·S + 1)` per frame and mel band.
    pub data: Vec<f32>,
}

impl LogMel {
    /// Number of whole 187-frame patches (the tail is dropped).
    pub fn n_patches(&self) -> usize {
        self.frames / PATCH_FRAMES
    }

    /// The whole patches, back to back (`n_patches() · PATCH_LEN` values).
    pub fn patches(&self) -> &[f32] {
        &self.data[..self.n_patches() * PATCH_LEN]
    }

    /// One patch from a clip shorter than a patch: its frames repeated until
    /// there are 187 (musicnn's training did this with short clips:
    /// `"pad_short": "repeat-pad"`). `None` when there are no frames.
    pub fn repeat_padded(&self) -> Option<Vec<f32>> {
        if self.frames == 0 {
            return None;
        }
        Some(
            self.data
                .chunks_exact(N_MELS)
                .cycle()
                .take(PATCH_FRAMES)
                .flatten()
                .copied()
                .collect(),
        )
    }
}

/// The log-mel of mono 22050 Hz samples: resampled to 16 kHz, then
/// [`log_mel_16k`]. NaN or infinite samples count as silence.
pub fn log_mel(y_22050: &[f32]) -> LogMel {
    log_mel_16k(&resample_to_16k(y_22050))
}

/// 16 kHz samples between two places where the 22050 Hz and 16 kHz sample
/// grids and the frame grid all meet (320 ↔ 441 samples, hop 256).
const ALIGN_16K: usize = 1280;
/// Context kept on each side of a patch computed on its own (160 ms): far
/// beyond the resampler's filter, so the patch's frames see the same samples.
const MARGIN_16K: usize = 2 * ALIGN_16K;

/// Number of whole patches in the log-mel of `n` samples at 22050 Hz (what
/// [`log_mel`]`(y).n_patches()` gives, without computing it).
pub fn patches_in(n_22050: usize) -> usize {
    let len_16k = (n_22050 * 320).div_ceil(441);
    if len_16k == 0 {
        return 0;
    }
    (1 + len_16k / HOP) / PATCH_FRAMES
}

/// Patch `i` of [`log_mel`]`(y_22050)`, computed from the samples around it
/// only: when a few patches of a long window run, this skips resampling and
/// transforming the rest. Equal to the patch of the whole log-mel up to
/// float rounding inside the resampler (a value's float16 step can differ).
/// `None` when the window has no such patch.
pub fn patch_of(y_22050: &[f32], i: usize) -> Option<Vec<f32>> {
    if i >= patches_in(y_22050.len()) {
        return None;
    }
    let first = i * PATCH_FRAMES;
    let lo_16k = (first * HOP).saturating_sub(HOP + MARGIN_16K) / ALIGN_16K * ALIGN_16K;
    let hi_16k = (first + PATCH_FRAMES) * HOP + HOP + MARGIN_16K;
    let lo = lo_16k / 320 * 441;
    let hi = (hi_16k.div_ceil(320) * 441).min(y_22050.len());
    let mel = log_mel(y_22050.get(lo..hi)?);
    let skip = first - lo_16k / HOP;
    mel.data
        .get(skip * N_MELS..(skip + PATCH_FRAMES) * N_MELS)
        .map(<[f32]>::to_vec)
}

/// Mono 22050 Hz → 16 kHz with musim's soxr-HQ-like resampler; output length
/// `ceil(n · 16000 / 22050)` as librosa's.
pub fn resample_to_16k(y_22050: &[f32]) -> Vec<f32> {
    let clean;
    let y = if y_22050.iter().all(|v| v.is_finite()) {
        y_22050
    } else {
        clean = y_22050
            .iter()
            .map(|&v| if v.is_finite() { v } else { 0.0 })
            .collect::<Vec<_>>();
        &clean
    };
    let mut out = Vec::with_capacity(y.len() * 16 / 22 + 2);
    // Both rates are constants inside the accepted range, so this cannot fail.
    if let Ok(mut r) = MonoResampler::between(crate::audio::TARGET_RATE, SR) {
        r.push(y, &mut out);
        r.finish(&mut out);
    }
    out
}

/// musicnn's log-mel of mono 16 kHz samples: `1 + len / 256` centred frames
/// (none for an empty signal).
pub fn log_mel_16k(y: &[f32]) -> LogMel {
    if y.is_empty() {
        return LogMel::default();
    }
    let frames = 1 + y.len() / HOP;
    let fft = plan();
    let window = window();
    let bank = filterbank();
    let mut input = fft.make_input_vec();
    let mut spec: Vec<Complex<f64>> = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let mut power = vec![0.0f32; N_BINS];
    let mut data = Vec::with_capacity(frames * N_MELS);
    for t in 0..frames {
        fill_frame(y, t * HOP, window, &mut input);
        // Buffer lengths come from the plan, so this cannot fail.
        if fft
            .process_with_scratch(&mut input, &mut spec, &mut scratch)
            .is_err()
        {
            power.iter_mut().for_each(|p| *p = 0.0);
        } else {
            // librosa: complex64 STFT (computed in f64 by numpy's FFT), then
            // `np.abs(...) ** 2` in float32.
            for (p, c) in power.iter_mut().zip(&spec) {
                let m = (c.re as f32).hypot(c.im as f32);
                *p = m * m;
            }
        }
        for f in bank {
            let s = dot(&power[f.start..f.start + f.weights.len()], &f.weights);
            data.push(log_compress(round_to_f16(s)));
        }
    }
    LogMel { frames, data }
}

/// `log10(10000·S + 1)` in float32, as numpy evaluates musicnn's expression.
#[inline]
fn log_compress(s: f32) -> f32 {
    (10000.0f32 * s + 1.0).log10()
}

/// `S` rounded to the nearest float16 (ties to even), as musicnn's
/// `astype(np.float16)` does; non-negative input. Saturates at the largest
/// float16 instead of becoming infinite (numpy would give inf there, which
/// only a clipped, far-beyond-full-scale signal can reach).
pub fn round_to_f16(s: f32) -> f32 {
    if s.is_nan() || s <= 0.0 {
        return 0.0;
    }
    // Below float16's smallest normal (2^-14) the step is 2^-24.
    const MIN_NORMAL: f32 = 6.103_515_6e-5;
    if s < MIN_NORMAL {
        const SCALE: f32 = 16_777_216.0; // 2^24
        return (s * SCALE).round_ties_even() / SCALE;
    }
    // Normal range: keep 10 of float32's 23 mantissa bits, ties to even.
    let bits = s.to_bits();
    let lsb = (bits >> 13) & 1;
    let rounded = f32::from_bits((bits + 0x0fff + lsb) & !0x1fff);
    if rounded > F16_MAX {
        F16_MAX
    } else {
        rounded
    }
}

/// Index into a signal of length `n` of padded position `i` under numpy's
/// `reflect` padding (the edge sample is not repeated; wider pads reflect
/// again, which is periodic with period `2(n − 1)`).
fn reflect(i: isize, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let period = 2 * (n as isize - 1);
    let m = i.rem_euclid(period);
    if m >= n as isize {
        (period - m) as usize
    } else {
        m as usize
    }
}

/// The windowed frame centred on sample `center` (reflect-padded) into `buf`.
fn fill_frame(y: &[f32], center: usize, window: &[f64], buf: &mut [f64]) {
    let start = center as isize - (N_FFT / 2) as isize;
    if start >= 0 && start as usize + N_FFT <= y.len() {
        let seg = &y[start as usize..start as usize + N_FFT];
        for ((b, &v), &w) in buf.iter_mut().zip(seg).zip(window) {
            *b = v as f64 * w;
        }
        return;
    }
    for (i, (b, &w)) in buf.iter_mut().zip(window).enumerate() {
        *b = y[reflect(start + i as isize, y.len())] as f64 * w;
    }
}

/// The 512-point real FFT, in f64 as numpy computes librosa's STFT.
fn plan() -> Arc<dyn RealToComplex<f64>> {
    static PLAN: OnceLock<Arc<dyn RealToComplex<f64>>> = OnceLock::new();
    PLAN.get_or_init(|| RealFftPlanner::<f64>::new().plan_fft_forward(N_FFT))
        .clone()
}

/// Periodic Hann window of 512 points (scipy `get_window('hann', 512)`).
fn window() -> &'static [f64] {
    static W: OnceLock<Vec<f64>> = OnceLock::new();
    W.get_or_init(|| {
        (0..N_FFT)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64).cos())
            .collect()
    })
}

/// The 96 Slaney mel filters at 16 kHz, n_fft 512 (built once).
fn filterbank() -> &'static [MelFilter] {
    static FB: OnceLock<Vec<MelFilter>> = OnceLock::new();
    FB.get_or_init(|| slaney_filterbank(SR, N_FFT, N_MELS))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 30.5 s of a chord whose notes change every 0.7 s, over seeded noise.
    fn music(seconds: f64) -> Vec<f32> {
        let n = (seconds * 22050.0) as usize;
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|k| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let t = k as f64 / 22050.0;
                let step = (t / 0.7) as u32 % 5;
                let f = 110.0 * 2f64.powf(f64::from(step) / 4.0);
                let tone: f64 = [1.0, 1.25, 1.5, 3.0]
                    .iter()
                    .map(|m| (2.0 * std::f64::consts::PI * f * m * t).sin())
                    .sum();
                (0.15 * tone + 0.05 * ((seed >> 40) as f64 / (1u64 << 24) as f64 - 0.5)) as f32
            })
            .collect()
    }

    #[test]
    fn a_patch_computed_alone_equals_the_whole_windows_patch() {
        for seconds in [30.5, 9.2, 3.05] {
            let y = music(seconds);
            let whole = log_mel(&y);
            assert_eq!(patches_in(y.len()), whole.n_patches(), "{seconds} s");
            for i in 0..whole.n_patches() {
                let alone = patch_of(&y, i).unwrap();
                let want = &whole.patches()[i * PATCH_LEN..(i + 1) * PATCH_LEN];
                let worst = alone
                    .iter()
                    .zip(want)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0f32, f32::max);
                // Values reach ~4; one float16 step of S moves one by < 5e-4.
                assert!(worst < 2e-3, "{seconds} s, patch {i}: {worst}");
            }
            assert_eq!(patch_of(&y, whole.n_patches()), None);
        }
        assert_eq!(patches_in(0), 0);
        assert_eq!(patch_of(&[], 0), None);
    }

    #[test]
    fn float16_rounding_ties_to_even() {
        let two = |e: i32| 2.0f32.powi(e);
        // Exactly representable values stay.
        for v in [0.0, 1.0, 0.5, 1.0 + two(-10), 65504.0, two(-24), two(-14)] {
            assert_eq!(round_to_f16(v), v, "{v}");
        }
        // Halfway between 1 and 1 + 2^-10: to the even neighbour (1).
        assert_eq!(round_to_f16(1.0 + two(-11)), 1.0);
        // Halfway between 1 + 2^-10 and 1 + 2^-9: up to the even one.
        assert_eq!(round_to_f16(1.0 + 3.0 * two(-11)), 1.0 + two(-9));
        // Just above halfway rounds up.
        assert_eq!(round_to_f16(1.0 + two(-11) + two(-20)), 1.0 + two(-10));
        // Mantissa carry into the exponent.
        assert_eq!(round_to_f16(2.0 - two(-12)), 2.0);
        // Subnormal range: steps of 2^-24, ties to even.
        assert_eq!(round_to_f16(two(-25)), 0.0);
        assert_eq!(round_to_f16(3.0 * two(-25)), two(-23));
        assert_eq!(round_to_f16(1e-9), 0.0);
        // Saturates instead of overflowing; NaN and negatives are silence.
        assert_eq!(round_to_f16(1e6), 65504.0);
        assert_eq!(round_to_f16(f32::INFINITY), 65504.0);
        assert_eq!(round_to_f16(f32::NAN), 0.0);
        assert_eq!(round_to_f16(-1.0), 0.0);
    }

    #[test]
    fn reflect_matches_numpy() {
        // list(np.pad(np.arange(3), 6, mode='reflect')), numpy 1.26
        let want = [2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0];
        let got: Vec<usize> = (-6..9).map(|i| reflect(i, 3)).collect();
        assert_eq!(got, want);
        assert_eq!(reflect(-5, 1), 0);
        assert_eq!(reflect(7, 2), 1);
    }

    #[test]
    fn frames_and_patches() {
        assert_eq!(log_mel_16k(&[]).frames, 0);
        assert_eq!(log_mel_16k(&[0.5]).frames, 1);
        let y = vec![0.1f32; 16000 * 7];
        let m = log_mel_16k(&y);
        assert_eq!(m.frames, 1 + 16000 * 7 / 256);
        assert_eq!(m.data.len(), m.frames * N_MELS);
        assert_eq!(m.n_patches(), 2);
        assert_eq!(m.patches().len(), 2 * PATCH_LEN);
        assert!(m.data.iter().all(|v| v.is_finite() && *v >= 0.0));
        // Silence is log10(1) = 0 everywhere.
        assert!(log_mel_16k(&vec![0.0; 1000]).data.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn repeat_padding_tiles_frames() {
        let m = LogMel {
            frames: 2,
            data: (0..2 * N_MELS).map(|v| v as f32).collect(),
        };
        let p = m.repeat_padded().unwrap();
        assert_eq!(p.len(), PATCH_LEN);
        for t in 0..PATCH_FRAMES {
            assert_eq!(
                p[t * N_MELS..(t + 1) * N_MELS],
                m.data[(t % 2) * N_MELS..(t % 2 + 1) * N_MELS]
            );
        }
        assert!(LogMel::default().repeat_padded().is_none());
    }

    #[test]
    fn non_finite_samples_are_silence() {
        let mut y = vec![0.0f32; 4000];
        y[100] = f32::NAN;
        y[200] = f32::INFINITY;
        let m = log_mel(&y);
        assert!(
            m.data.iter().all(|&v| v == 0.0),
            "NaN/inf must act as silence"
        );
    }
}

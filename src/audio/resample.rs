//! Streaming sample-rate conversion of a mono signal to [`TARGET_RATE`], with
//! the frequency response of libsoxr's "HQ" quality.
//!
//! librosa's `load(sr=22050)` resamples with `soxr_hq`, so features near the
//! top of the spectrum (spectral contrast's 6.4–11 kHz band, roll-off, high
//! MFCCs) only agree with librosa when our anti-aliasing filter has soxr HQ's
//! response: flat to ≈ 0.92 of the output Nyquist, −6 dB at ≈ 0.957 and
//! ≥ 120 dB down by Nyquist. A generic resampler whose cutoff sits at
//! 0.99 of Nyquist leaves the band just below Nyquist 25 dB louder than
//! librosa sees it.
//!
//! The converter is a rational FFT resampler (overlap-add). Each block of
//! `L_in` input samples is zero-padded to the FFT size `N_in`, transformed,
//! multiplied by the spectrum of a zero-phase Kaiser-windowed sinc (the same
//! design soxr uses, its parameters fitted to soxr's measured response), cut
//! to the first `N_out/2 + 1` bins (downsampling) or zero-padded (upsampling)
//! and transformed back at size `N_out`, where `N_in / N_out = L_in / L_out =
//! sr_in / 22050`. That is two FFTs per block, far cheaper than a polyphase
//! convolution with a ~400-tap filter, which matters because the full-track
//! bar (≤ 0.15 s per audio minute, features included) leaves little room for
//! resampling. The padding only has to hold the filter's spread (its length),
//! so the block fills most of the FFT (`L_in ≈ N_in − taps`): half-empty
//! FFTs (`N_in = 2·L_in`) did nearly twice the work per sample.
//!
//! Because the filter is zero-phase (centred on sample 0, wrapped around the
//! FFT circle), the output needs no delay compensation: output sample `m`
//! sits exactly at input time `m · sr_in / 22050`, as soxr's linear-phase
//! output does. The output length is `ceil(n_in · 22050 / sr)`, the length
//! librosa's `resample` gives, tail included.

use std::sync::Arc;

use realfft::{num_complex::Complex, ComplexToReal, RealFftPlanner, RealToComplex};

/// The analysis sample rate (librosa's default).
pub const TARGET_RATE: u32 = 22050;

/// Highest source rate accepted (well above 768 kHz studio formats).
pub const MAX_RATE: u32 = 1_536_000;

/// Lowest source rate accepted. Nothing real is recorded below 4 kHz, and a
/// damaged header claiming 1 Hz would make the upsampling blocks (≈ 400 input
/// samples each) tens of millions of output samples long.
pub const MIN_RATE: u32 = 1000;

/// Centre (−6 dB point) of the anti-aliasing filter's transition band, as a
/// fraction of the lower of the two Nyquist frequencies. Fitted to soxr HQ's
/// measured response at 44.1 kHz → 22.05 kHz (soxr's own design puts it at
/// (0.913 + 1) / 2; the fit lands within 0.0005 of that).
const CUTOFF: f64 = 0.95692;

/// Width of the transition band (passband end to stopband start), same unit.
/// soxr HQ: passband end ≈ 0.913, stopband start 1.0.
const TRANSITION: f64 = 0.08607;

/// Stop-band attenuation the Kaiser window is designed for, in dB (soxr HQ
/// designs for 21 bits ≈ 126 dB; 130 fits its measured roll-off best).
const ATTENUATION_DB: f64 = 130.0;

/// Smallest input FFT size, and the smallest multiple of the filter length it
/// may be. Larger FFTs waste less of each block on the filter's spread and
/// cost only log(size) more per sample, but use more memory and cache.
const MIN_FFT_IN: usize = 8192;
const MIN_FFT_PER_TAP: usize = 8;

/// Why a resampler cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum ResampleError {
    /// A rate outside [`MIN_RATE`]..=[`MAX_RATE`] (a damaged header, most likely).
    #[error("implausible sample rate {0} Hz")]
    ImplausibleRate(u32),
}

/// Converts a mono stream at some rate to mono [`TARGET_RATE`], chunk by chunk.
pub struct MonoResampler {
    inner: Option<FftState>,
    /// Input samples seen so far.
    total_in: u64,
    /// Output samples handed out so far.
    total_out: u64,
    /// Source rate.
    rate_in: u32,
    /// Output rate.
    rate_out: u32,
}

impl MonoResampler {
    /// A resampler from `rate_in` Hz to [`TARGET_RATE`]; a pass-through when the
    /// source is already at the target rate.
    pub fn new(rate_in: u32) -> Result<Self, ResampleError> {
        Self::between(rate_in, TARGET_RATE)
    }

    /// A resampler from `rate_in` Hz to `rate_out` Hz with the same soxr-HQ
    /// response (band edges are fractions of the lower Nyquist), e.g. the
    /// deep embedding's 22050 → 16000 Hz.
    pub fn between(rate_in: u32, rate_out: u32) -> Result<Self, ResampleError> {
        for rate in [rate_in, rate_out] {
            if !(MIN_RATE..=MAX_RATE).contains(&rate) {
                // A damaged header could claim 4 GHz or 1 Hz; the FFT blocks would not fit in memory.
                return Err(ResampleError::ImplausibleRate(rate));
            }
        }
        let inner = if rate_in == rate_out {
            None
        } else {
            Some(FftState::new(rate_in, rate_out))
        };
        Ok(Self {
            inner,
            total_in: 0,
            total_out: 0,
            rate_in,
            rate_out,
        })
    }

    /// Feed `input` (mono, source rate) and append what is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.total_in += input.len() as u64;
        let before = out.len();
        match &mut self.inner {
            None => out.extend_from_slice(input),
            Some(st) => st.push(input, out),
        }
        self.total_out += (out.len() - before) as u64;
    }

    /// [`Self::push`] taking the input by value: at the target rate, into an
    /// empty `out`, the block becomes the output without being copied.
    pub fn push_owned(&mut self, input: Vec<f32>, out: &mut Vec<f32>) {
        if self.inner.is_none() && out.is_empty() {
            self.total_in += input.len() as u64;
            self.total_out += input.len() as u64;
            *out = input;
            return;
        }
        self.push(&input, out)
    }

    /// Flush the tail at the end of the stream and append it to `out`.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let expected = self.expected_len();
        if let Some(st) = &mut self.inner {
            let before = out.len();
            st.finish(expected.saturating_sub(self.total_out), out);
            self.total_out += (out.len() - before) as u64;
        }
    }

    /// Output length for the input seen so far: `ceil(n · rate_out / rate_in)`.
    fn expected_len(&self) -> u64 {
        let num = self.total_in as u128 * self.rate_out as u128;
        num.div_ceil(self.rate_in as u128) as u64
    }
}

/// Greatest common divisor (Euclid).
fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Modified Bessel function of the first kind, order 0 (power series; the
/// terms fall fast enough for the Kaiser β ≈ 13 used here).
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..200 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Kaiser β for a stop-band attenuation in dB (Kaiser's formula for > 50 dB).
fn kaiser_beta(att: f64) -> f64 {
    0.1102 * (att - 8.7)
}

/// The zero-phase low-pass FIR at the input rate: taps `h[-half..=half]`
/// (returned in that order), cutoff `fc` and transition width `tr` in
/// fractions of the input Nyquist, normalised to unit gain at DC as soxr does.
fn design_lowpass(fc: f64, tr: f64) -> Vec<f64> {
    // Kaiser's length estimate: (A − 7.95) / (2.285 · Δω).
    let taps = ((ATTENUATION_DB - 7.95) / (2.285 * std::f64::consts::PI * tr)).ceil() as usize + 1;
    let half = taps / 2;
    let beta = kaiser_beta(ATTENUATION_DB);
    let norm = bessel_i0(beta);
    let mut h: Vec<f64> = (0..=2 * half)
        .map(|i| {
            let z = i as f64 - half as f64;
            let x = z * std::f64::consts::PI * fc;
            let sinc = if z == 0.0 { 1.0 } else { x.sin() / x };
            let y = z / (half as f64 + 0.5);
            fc * sinc * bessel_i0(beta * (1.0 - y * y).max(0.0).sqrt()) / norm
        })
        .collect();
    let sum: f64 = h.iter().sum();
    h.iter_mut().for_each(|v| *v /= sum);
    h
}

/// FFT and block sizes of the overlap-add resampler.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sizes {
    /// FFT sizes at the input and output rates (`n_in / n_out = sr_in / 22050`).
    n_in: usize,
    n_out: usize,
    /// Input samples per block, and the output samples they give.
    len_in: usize,
    len_out: usize,
    /// Output samples the filter spreads before a block's start (+1 spare).
    head: usize,
}

/// Sizes for a filter of `2·half + 1` taps: `n_in = k·min_in` where `min_in`
/// and `min_out` are the smallest whole blocks (`rate / gcd(rates)`) and `k`
/// is even and of the form 2^a·3^b (48 kHz: k = 13 would make 2080·4- and 1911·4-point
/// FFTs with the prime 13, twice as slow as a smooth size). The block `len_in`
/// is the largest multiple of `min_in` whose filtered output, `half` samples
/// wider on each side, fits the FFT circle without wrapping onto itself, at
/// both rates.
fn block_sizes(rate_in: usize, rate_out: usize, half: usize) -> Sizes {
    let g = gcd(rate_in, rate_out);
    let (min_in, min_out) = (rate_in / g, rate_out / g);
    let taps = 2 * half + 1;
    let want = MIN_FFT_IN.max(MIN_FFT_PER_TAP * taps);
    let smooth = |mut v: usize| {
        for p in [2, 3] {
            while v.is_multiple_of(p) {
                v /= p;
            }
        }
        v == 1
    };
    let k0 = want.div_ceil(min_in).max(1);
    // Even k keeps both FFT sizes even (real FFTs with a Nyquist bin); a
    // power of two always lies in [k0, 2·k0].
    let mut k = (k0..=2 * k0)
        .find(|&v| v.is_multiple_of(2) && smooth(v))
        .unwrap_or(2 * k0);
    // The filter's spread in output samples, rounded up.
    let half_out = (half * min_out).div_ceil(min_in);
    let head = half_out + 1;
    loop {
        let (n_in, n_out) = (k * min_in, k * min_out);
        let fit_in = n_in.saturating_sub(taps) / min_in;
        let fit_out = n_out.saturating_sub(half_out + head) / min_out;
        let blocks = fit_in.min(fit_out);
        if blocks >= 1 {
            return Sizes {
                n_in,
                n_out,
                len_in: blocks * min_in,
                len_out: blocks * min_out,
                head,
            };
        }
        k *= 2;
    }
}

/// The FFT resampler's plans, filter and buffers (absent when no conversion is needed).
struct FftState {
    len_in: usize,
    len_out: usize,
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
    /// Filter spectrum on the bins both sides share (`min(N_in, N_out)/2 + 1`),
    /// with the FFT normalisation `1 / N_in` folded in.
    filter: Vec<Complex<f32>>,
    time_in: Vec<f32>,
    spec_in: Vec<Complex<f32>>,
    spec_out: Vec<Complex<f32>>,
    time_out: Vec<f32>,
    scratch_fwd: Vec<Complex<f32>>,
    scratch_inv: Vec<Complex<f32>>,
    /// Overlap-add accumulator of `N_out` output samples, starting
    /// `head` samples before the current block's first output position.
    acc: Vec<f32>,
    /// Output samples of a block's spectrum that belong before the block
    /// start (the zero-phase filter's left spread, wrapped to the circle's end).
    head: usize,
    /// Samples still to drop from the start (the first block's `head`, which
    /// lie before time zero).
    to_trim: usize,
    /// Input not yet processed (less than one block after each `push`).
    pending: Vec<f32>,
}

impl FftState {
    fn new(rate_in: u32, rate_out: u32) -> Self {
        let rate_in = rate_in as usize;
        let target = rate_out as usize;
        // The filter works at the input rate; its band edges are fractions of
        // the lower Nyquist (output's when downsampling, input's when upsampling,
        // where it removes the images — soxr does the same).
        let ratio = target.min(rate_in) as f64 / rate_in as f64;
        let h = design_lowpass(CUTOFF * ratio, TRANSITION * ratio);
        let half = h.len() / 2;
        let sz = block_sizes(rate_in, target, half);

        let mut planner = RealFftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(sz.n_in);
        let inv = planner.plan_fft_inverse(sz.n_out);

        // Filter spectrum: zero-phase, so tap −j goes to the end of the circle.
        let mut planner64 = RealFftPlanner::<f64>::new();
        let fwd64 = planner64.plan_fft_forward(sz.n_in);
        let mut taps = vec![0.0f64; sz.n_in];
        for (i, &v) in h.iter().enumerate() {
            let pos = (i as isize - half as isize).rem_euclid(sz.n_in as isize) as usize;
            taps[pos] += v;
        }
        let mut spec = fwd64.make_output_vec();
        // Lengths come from the plan itself, so this cannot fail.
        let _ = fwd64.process(&mut taps, &mut spec);
        let shared = sz.n_in.min(sz.n_out) / 2 + 1;
        let scale = 1.0 / sz.n_in as f64;
        let filter = spec[..shared]
            .iter()
            .map(|c| Complex::new((c.re * scale) as f32, (c.im * scale) as f32))
            .collect();

        Self {
            len_in: sz.len_in,
            len_out: sz.len_out,
            time_in: fwd.make_input_vec(),
            spec_in: fwd.make_output_vec(),
            scratch_fwd: fwd.make_scratch_vec(),
            spec_out: inv.make_input_vec(),
            time_out: inv.make_output_vec(),
            scratch_inv: inv.make_scratch_vec(),
            fwd,
            inv,
            filter,
            acc: vec![0.0; sz.n_out],
            head: sz.head,
            to_trim: sz.head,
            pending: Vec::with_capacity(sz.len_in),
        }
    }

    /// Buffer `input` and resample every whole block.
    fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        let mut input = input;
        while !input.is_empty() {
            let take = (self.len_in - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() == self.len_in {
                self.process_block();
                self.emit(self.len_out, out);
                self.pending.clear();
            }
        }
    }

    /// Resample the partial last block, then hand out the accumulated tail,
    /// `wanted` samples in all: no later block can add to it.
    fn finish(&mut self, wanted: u64, out: &mut Vec<f32>) {
        let wanted = usize::try_from(wanted).unwrap_or(usize::MAX);
        if !self.pending.is_empty() {
            self.process_block();
            self.pending.clear();
        }
        // `wanted` never exceeds what the accumulator holds (the last block's
        // outputs after the finished ones), but clamp rather than trust it.
        let n = wanted.saturating_add(self.to_trim).min(self.acc.len());
        self.emit(n, out);
        self.acc.iter_mut().for_each(|v| *v = 0.0);
    }

    /// Filter and resample `pending` (zero-padded to a whole block) and add
    /// the result into the accumulator.
    fn process_block(&mut self) {
        let n = self.pending.len();
        self.time_in[..n].copy_from_slice(&self.pending);
        self.time_in[n..].iter_mut().for_each(|v| *v = 0.0);
        // Buffer lengths come from the plans, so the FFTs cannot fail.
        let _ = self.fwd.process_with_scratch(
            &mut self.time_in,
            &mut self.spec_in,
            &mut self.scratch_fwd,
        );
        let shared = self.filter.len();
        for ((o, &x), &h) in self.spec_out[..shared]
            .iter_mut()
            .zip(&self.spec_in[..shared])
            .zip(&self.filter)
        {
            *o = x * h;
        }
        // Upsampling: the bins above the input Nyquist stay empty (no images).
        self.spec_out[shared..]
            .iter_mut()
            .for_each(|c| *c = Complex::new(0.0, 0.0));
        // The DC and Nyquist bins of a real signal are real; the filter is
        // ≥ 120 dB down at Nyquist, so dropping its imaginary part changes nothing.
        self.spec_out[0].im = 0.0;
        let last = self.spec_out.len() - 1;
        self.spec_out[last].im = 0.0;
        let _ = self.inv.process_with_scratch(
            &mut self.spec_out,
            &mut self.time_out,
            &mut self.scratch_inv,
        );
        // Circle index j is output position j (j < N_out − head) or
        // j − N_out (the filter's left spread) relative to the block start;
        // acc[i] holds position i − head.
        let (left, right) = self.time_out.split_at(self.time_out.len() - self.head);
        let (acc_left, acc_right) = self.acc.split_at_mut(self.head);
        for (a, &v) in acc_left.iter_mut().zip(right) {
            *a += v;
        }
        for (a, &v) in acc_right.iter_mut().zip(left) {
            *a += v;
        }
    }

    /// Hand out the first `n` accumulated samples (minus any still to trim)
    /// and shift the accumulator by `n`, zero-filling its end.
    fn emit(&mut self, n: usize, out: &mut Vec<f32>) {
        let skip = self.to_trim.min(n);
        self.to_trim -= skip;
        out.extend_from_slice(&self.acc[skip..n]);
        self.acc.copy_within(n.., 0);
        let len = self.acc.len();
        self.acc[len - n..].iter_mut().for_each(|v| *v = 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    /// Resample `input` fed in chunks of `chunk` samples, flushed at the end.
    pub(super) fn run(rate: u32, input: &[f32], chunk: usize) -> Vec<f32> {
        let mut r = MonoResampler::new(rate).unwrap();
        let mut out = Vec::new();
        for c in input.chunks(chunk) {
            r.push(c, &mut out);
        }
        r.finish(&mut out);
        out
    }

    #[test]
    fn length_and_alignment() {
        for &rate in &[8000u32, 11025, 44100, 48000, 96000, 192000, 44101] {
            let n = rate as usize * 3 / 4 + 17;
            let input = sine(rate, 440.0, n);
            let out = run(rate, &input, 1000);
            let expect = (n as u64 * 22050).div_ceil(rate as u64) as usize;
            assert_eq!(out.len(), expect, "rate {rate}");
            // Time-aligned: compare against the ideal resampled sine in the middle.
            let ideal = sine(22050, 440.0, expect);
            let mid = expect / 2;
            for i in mid..mid + 200 {
                assert!((out[i] - ideal[i]).abs() < 0.01, "rate {rate} i {i}");
            }
            // The tail is not lost (the last 10 ms still carry the sine).
            let tail = &out[expect - 220..expect - 20];
            let peak = tail.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(peak > 0.8, "rate {rate}: tail peak {peak}");
        }
    }

    #[test]
    fn other_output_rate() {
        // 22050 → 16000 Hz (the deep embedding's rate): exact length,
        // time-aligned, and what lies above the new Nyquist is gone.
        let input = sine(22050, 440.0, 22050);
        let mut r = MonoResampler::between(22050, 16000).unwrap();
        let mut out = Vec::new();
        for c in input.chunks(1000) {
            r.push(c, &mut out);
        }
        r.finish(&mut out);
        assert_eq!(out.len(), 16000);
        let ideal = sine(16000, 440.0, 16000);
        for i in 8000..8200 {
            assert!((out[i] - ideal[i]).abs() < 0.01, "i {i}");
        }
        let mut r = MonoResampler::between(22050, 16000).unwrap();
        let mut alias = Vec::new();
        r.push(&sine(22050, 9000.0, 22050), &mut alias);
        r.finish(&mut alias);
        let rms = (alias[2000..14000].iter().map(|v| v * v).sum::<f32>() / 12000.0).sqrt();
        assert!(rms < 1e-3, "alias rms {rms}");
        assert!(MonoResampler::between(22050, 10).is_err());
    }

    #[test]
    fn block_sizes_hold_the_filter_without_wrapping() {
        for rate in [
            8000usize, 11025, 16000, 32000, 44100, 48000, 96000, 192000, 44101,
        ] {
            let ratio = 22050.0f64.min(rate as f64) / rate as f64;
            let half = design_lowpass(CUTOFF * ratio, TRANSITION * ratio).len() / 2;
            let sz = block_sizes(rate, 22050, half);
            // Same ratio on both sides, even FFT sizes.
            assert_eq!(sz.n_in * 22050, sz.n_out * rate, "{rate}: {sz:?}");
            assert_eq!(sz.len_in * 22050, sz.len_out * rate, "{rate}: {sz:?}");
            assert!(
                sz.n_in.is_multiple_of(2) && sz.n_out.is_multiple_of(2),
                "{rate}: {sz:?}"
            );
            // The block and the filter's spread on both sides fit each circle.
            assert!(sz.len_in + 2 * half < sz.n_in, "{rate}: {sz:?}");
            let half_out = (half * 22050).div_ceil(rate);
            assert!(sz.head > half_out, "{rate}: {sz:?}");
            assert!(
                sz.len_out + half_out + sz.head <= sz.n_out,
                "{rate}: {sz:?}"
            );
            // And the block is as long as the circles allow (one more
            // minimal block would not fit), which for the usual rates is
            // most of the FFT; 44101 Hz's minimal block is 44101 samples.
            let min_in = rate / gcd(rate, 22050);
            let min_out = 22050 / gcd(rate, 22050);
            assert!(
                sz.len_in + min_in + 2 * half >= sz.n_in
                    || sz.len_out + min_out + half_out + sz.head > sz.n_out,
                "{rate}: {sz:?}"
            );
            assert!(
                rate == 44101 || 4 * sz.len_in >= 3 * sz.n_in,
                "{rate}: {sz:?}"
            );
        }
    }

    #[test]
    fn equals_direct_convolution_at_44100() {
        // 44.1 → 22.05 kHz keeps every other filtered sample, so output m is
        // Σ_j h[j]·x[2m − j] exactly: any overlap-add slip at the block
        // boundaries (several fall inside this input) shows as a mismatch.
        let mut state = 0x2545_f491u32;
        let x: Vec<f32> = (0..40_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as f32 / u32::MAX as f32 - 0.5
            })
            .collect();
        let out = run(44100, &x, 999);
        let h = design_lowpass(CUTOFF * 0.5, TRANSITION * 0.5);
        let half = h.len() / 2;
        let mut worst = 0.0f64;
        for (m, &o) in out.iter().enumerate() {
            // h is stored from tap −half to +half.
            let want: f64 = h
                .iter()
                .enumerate()
                .filter_map(|(i, &hv)| {
                    let n = (2 * m + half).checked_sub(i)?;
                    x.get(n).map(|&v| hv * v as f64)
                })
                .sum();
            worst = worst.max((o as f64 - want).abs());
        }
        assert!(
            worst < 2e-5,
            "max deviation from direct convolution {worst:e}"
        );
    }

    #[test]
    fn passthrough_at_target_rate() {
        let input = sine(22050, 440.0, 5000);
        assert_eq!(run(22050, &input, 333), input);
    }

    #[test]
    fn aliasing_is_suppressed() {
        // 15 kHz at 44.1 kHz is above the new Nyquist: it must vanish, not fold.
        let input = sine(44100, 15000.0, 44100);
        let out = run(44100, &input, 4096);
        let rms = (out[2000..20000].iter().map(|v| v * v).sum::<f32>() / 18000.0).sqrt();
        assert!(rms < 1e-3, "alias rms {rms}");
    }

    #[test]
    fn short_input() {
        let out = run(44100, &sine(44100, 440.0, 10), 10);
        assert_eq!(out.len(), 5);
        assert!(run(44100, &[], 10).is_empty());
    }
}

/// Comparison with libsoxr HQ (librosa's `soxr_hq`): reference output made by
/// `tools/soxr_reference.py`, response figures measured with it.
#[cfg(test)]
mod soxr_parity {
    use super::tests::run;
    use super::*;

    fn fixture(name: &str) -> Vec<f32> {
        let path = format!(
            "{}/tests/fixtures/resample/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut r = hound::WavReader::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        match r.spec().sample_format {
            hound::SampleFormat::Int => r
                .samples::<i16>()
                .map(|s| s.unwrap() as f32 / 32768.0)
                .collect(),
            hound::SampleFormat::Float => r.samples::<f32>().map(|s| s.unwrap()).collect(),
        }
    }

    /// Gain in dB of a cosine at `freq` Hz through the resampler (least-squares
    /// fit of cos and sin over the middle half, away from the edges).
    fn gain_db(rate: u32, freq: f64) -> f64 {
        let n = 2 * rate as usize;
        let x: Vec<f32> = (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).cos() as f32)
            .collect();
        let y = run(rate, &x, 10_000);
        let (mut cc, mut ss, mut cs, mut cy, mut sy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (m, &v) in y.iter().enumerate().take(3 * y.len() / 4).skip(y.len() / 4) {
            let w = 2.0 * std::f64::consts::PI * freq * m as f64 / TARGET_RATE as f64;
            let (c, s) = (w.cos(), w.sin());
            cc += c * c;
            ss += s * s;
            cs += c * s;
            cy += c * v as f64;
            sy += s * v as f64;
        }
        let det = cc * ss - cs * cs;
        let a = (cy * ss - sy * cs) / det;
        let b = (sy * cc - cy * cs) / det;
        20.0 * a.hypot(b).log10()
    }

    /// soxr HQ's gain (dB) at fractions of the lower Nyquist, printed by
    /// `tools/soxr_reference.py`.
    const FRACS: [f64; 12] = [
        0.5, 0.85, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995,
    ];
    const SOXR_44100: [f64; 12] = [
        0.0, 0.0, 0.0, 0.0, -0.07, -0.67, -2.88, -8.03, -17.53, -33.25, -59.41, -80.90,
    ];
    const SOXR_48000: [f64; 12] = [
        0.0, 0.0, -0.01, -0.01, -0.07, -0.64, -2.83, -8.10, -17.95, -34.34, -61.72, -84.24,
    ];
    const SOXR_8000: [f64; 12] = [
        0.0, 0.0, -0.01, -0.01, -0.07, -0.64, -2.83, -8.11, -17.96, -34.36, -61.77, -84.32,
    ];

    #[test]
    fn magnitude_response_matches_soxr_hq() {
        for (rate, soxr) in [
            (44100u32, SOXR_44100),
            (48000, SOXR_48000),
            (8000, SOXR_8000),
        ] {
            let nyq = rate.min(TARGET_RATE) as f64 / 2.0;
            for (&f, &want) in FRACS.iter().zip(&soxr) {
                let got = gain_db(rate, f * nyq);
                // Passband: within 0.02 dB; transition: within 0.1 dB down to
                // −10 dB, within 1.5 dB to −40 dB, then within a few dB (the 48 kHz and 8 kHz soxr
                // cascades roll off slightly faster than its 44.1 kHz one, to
                // which the design is fitted); near Nyquist: ≥ 55 dB down.
                let tol = match want {
                    w if w > -0.1 => 0.02,
                    w if w > -10.0 => 0.1,
                    w if w > -40.0 => 1.5,
                    _ => 4.0,
                };
                eprintln!("{rate} Hz, {f:.3}·Nyquist: musim {got:8.3} dB, soxr {want:8.3} dB");
                assert!(
                    (got - want).abs() <= tol,
                    "{rate} Hz at {f}·Nyquist: {got:.3} dB vs soxr {want:.3} dB"
                );
            }
            assert!(gain_db(rate, 0.99 * nyq) < -55.0);
        }
    }

    #[test]
    fn output_matches_soxr_hq_sample_by_sample() {
        for rate in [44100u32, 48000, 8000] {
            let input = fixture(&format!("in_{rate}.wav"));
            let want = fixture(&format!("soxr_{rate}.wav"));
            // Odd chunk sizes: the block boundaries must not show.
            let got = run(rate, &input, 777);
            assert_eq!(got.len(), want.len(), "{rate} Hz: length");
            let (mut err, mut sig, mut max_err) = (0.0f64, 0.0f64, 0.0f32);
            for (g, w) in got.iter().zip(&want) {
                err += ((g - w) as f64).powi(2);
                sig += (*w as f64).powi(2);
                max_err = max_err.max((g - w).abs());
            }
            let snr = 10.0 * (sig / err).log10();
            let at = got
                .iter()
                .zip(&want)
                .position(|(g, w)| (g - w).abs() == max_err);
            eprintln!("{rate} Hz: SNR vs soxr {snr:.1} dB, max error {max_err:.2e} at {at:?}");
            // The residual is the small difference in the transition band
            // (the fixture's tones at 0.95 and 0.97 of Nyquist dominate it),
            // plus soxr's own start-up transient at 48 and 8 kHz: against an
            // exact direct convolution with our Kaiser filter, this output is
            // within 130 dB.
            assert!(snr >= 50.0, "{rate} Hz: SNR vs soxr {snr:.1} dB");
        }
    }
}

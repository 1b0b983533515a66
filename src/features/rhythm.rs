//! Onset strength and tempo (librosa `onset.onset_strength`, `feature.tempo`),
//! both with librosa 0.11's defaults.

use std::sync::{Arc, OnceLock};

use realfft::{num_complex::Complex, ComplexToReal, RealFftPlanner, RealToComplex};

use super::simd::avx2_dispatch;
use super::{Matrix, HOP, N_FFT, SR};

/// Frames of leading zeros librosa puts before the spectral flux:
/// `lag + n_fft // (2 * hop_length)` with lag 1, so frame `t`'s flux compares
/// frames `t − 3` and `t − 2` (centring the difference on the STFT frames).
const ONSET_PAD: usize = 1 + N_FFT / (2 * HOP);

avx2_dispatch! {
    /// Onset-strength envelope from the mel spectrogram in dB (128 × frames, after
    /// `power_to_db` with top_db 80), as librosa `onset_strength` with its defaults:
    /// lag 1, `max_size` 1 (no reference filtering), positive spectral flux averaged
    /// over bands, `ONSET_PAD` zeros in front, trimmed to the number of frames.
    pub fn onset_strength(mel_db: &Matrix) -> Vec<f32>
        => onset_strength_avx2, onset_strength_portable
}

#[inline(always)]
fn onset_strength_portable(mel_db: &Matrix) -> Vec<f32> {
    let (bands, n) = (mel_db.rows, mel_db.cols);
    let mut sum = vec![0.0f32; n];
    if n < 2 || bands == 0 {
        return sum;
    }
    // Accumulate band by band so both reads and writes run along frames.
    for b in 0..bands {
        let row = mel_db.row(b);
        for (s, w) in sum[1..].iter_mut().zip(row.windows(2)) {
            *s += (w[1] - w[0]).max(0.0);
        }
    }
    // sum[i + 1] is the flux between frames i and i + 1; librosa shifts it to
    // index i + ONSET_PAD and drops what runs past the last frame.
    let inv = 1.0 / bands as f32;
    let mut out = vec![0.0f32; n];
    for (t, o) in out.iter_mut().enumerate().skip(ONSET_PAD) {
        *o = sum[t + 1 - ONSET_PAD] * inv;
    }
    out
}

/// Autocorrelation window of the tempogram in frames: librosa
/// `time_to_frames(ac_size=8.0, sr, hop)` = floor(floor(8·sr) / hop) = 344.
pub const AC_WIN: usize = (8 * SR as usize) / HOP;
/// DFT length for the autocorrelation: any length ≥ 2·AC_WIN − 1 gives the
/// exact linear autocorrelation, and exactly 2·AC_WIN turns the Hann window
/// into a 3-tap filter over bins m−2, m, m+2 (see [`mean_tempogram`]).
const AC_N: usize = 2 * AC_WIN;
/// Bins of the one-sided spectrum.
const AC_BINS: usize = AC_N / 2 + 1;
/// Frames between exact re-computations of the sliding DFT (bounds drift).
const RESYNC: usize = 4096;
/// Prior centre and width (librosa `start_bpm`, `std_bpm`).
const START_BPM: f64 = 120.0;
const STD_BPM: f64 = 1.0;
/// Periods faster than this are excluded (librosa `max_tempo`).
const MAX_TEMPO: f64 = 320.0;

/// BPM of autocorrelation lag `k` (librosa `tempo_frequencies`; lag 0 is ∞).
fn lag_bpm(k: usize) -> f64 {
    if k == 0 {
        f64::INFINITY
    } else {
        60.0 * SR as f64 / (HOP as f64 * k as f64)
    }
}

struct AcPlan {
    fwd: Arc<dyn RealToComplex<f64>>,
    inv: Arc<dyn ComplexToReal<f64>>,
    /// Sliding-DFT rotation e^{+2πim/N} per bin, split into re/im.
    tw_re: Vec<f64>,
    tw_im: Vec<f64>,
    /// (−1)^m per bin, the factor of the sample entering the window; a table
    /// rather than a parity test so the update loop vectorises.
    sign: Vec<f64>,
}

fn ac_plan() -> &'static AcPlan {
    static P: OnceLock<AcPlan> = OnceLock::new();
    P.get_or_init(|| {
        let mut planner = RealFftPlanner::<f64>::new();
        let angle = |m: usize| 2.0 * std::f64::consts::PI * m as f64 / AC_N as f64;
        AcPlan {
            fwd: planner.plan_fft_forward(AC_N),
            inv: planner.plan_fft_inverse(AC_N),
            tw_re: (0..AC_BINS).map(|m| angle(m).cos()).collect(),
            tw_im: (0..AC_BINS).map(|m| angle(m).sin()).collect(),
            sign: (0..AC_BINS)
                .map(|m| if m % 2 == 0 { 1.0 } else { -1.0 })
                .collect(),
        }
    })
}

/// Rectangular-window DFT state of the current frame, with two guard bins on
/// each side filled by conjugate symmetry so the Hann taps need no branches:
/// index `m + 2` holds bin `m`, for m in −2..=AC_BINS+1.
struct Sliding {
    re: Vec<f64>,
    im: Vec<f64>,
}

impl Sliding {
    fn new() -> Self {
        Sliding {
            re: vec![0.0; AC_BINS + 4],
            im: vec![0.0; AC_BINS + 4],
        }
    }

    /// Exact DFT of `frame` (AC_WIN values, zero-padded to AC_N) by FFT.
    fn sync(&mut self, plan: &AcPlan, frame: &[f64], buf: &mut [f64], spec: &mut [Complex<f64>]) {
        buf[..AC_WIN].copy_from_slice(frame);
        buf[AC_WIN..].iter_mut().for_each(|x| *x = 0.0);
        // Buffer sizes come from the plan, so this cannot fail.
        let _ = plan.fwd.process(buf, spec);
        for (m, c) in spec.iter().enumerate() {
            self.re[m + 2] = c.re;
            self.im[m + 2] = c.im;
        }
    }

    fn clear(&mut self) {
        self.re.iter_mut().for_each(|x| *x = 0.0);
        self.im.iter_mut().for_each(|x| *x = 0.0);
    }

    /// Refresh the guard bins from conjugate symmetry: Y[−k] = conj Y[k],
    /// Y[N/2 + k] = conj Y[N/2 − k].
    fn guards(&mut self) {
        for k in 1..=2 {
            self.re[2 - k] = self.re[2 + k];
            self.im[2 - k] = -self.im[2 + k];
            let h = AC_BINS - 1 + 2;
            self.re[h + k] = self.re[h - k];
            self.im[h + k] = -self.im[h - k];
        }
    }

    /// Slide by one sample: drop `old` (first of the window), append `new`.
    /// Y'[m] = e^{2πim/N}·(Y[m] − old + new·e^{−2πimL/N}), and with N = 2L
    /// that last factor is (−1)^m, so the update stays real-valued.
    #[inline(always)] // compiled into its caller's AVX2 copy too
    fn slide(&mut self, plan: &AcPlan, old: f64, new: f64) {
        let re = &mut self.re[2..AC_BINS + 2];
        let im = &mut self.im[2..AC_BINS + 2];
        for ((((r, i), &c), &s), &sign) in re
            .iter_mut()
            .zip(im.iter_mut())
            .zip(&plan.tw_re)
            .zip(&plan.tw_im)
            .zip(&plan.sign)
        {
            let dr = *r - old + sign * new;
            let di = *i;
            *r = dr * c - di * s;
            *i = dr * s + di * c;
        }
    }
}

avx2_dispatch! {
    /// Mean over frames of librosa's autocorrelation tempogram (`tempogram` with
    /// `win_length = AC_WIN`, Hann, centred with `linear_ramp` padding, norm = inf),
    /// one value per lag `0..AC_WIN`.
    ///
    /// Why it is fast (3 hours of envelope in well under a second on one core):
    /// * each frame's autocorrelation is normalised by its maximum, which for an
    ///   autocorrelation is the lag-0 value, i.e. the windowed frame's energy;
    ///   the inverse FFT is linear, so the mean of the normalised
    ///   autocorrelations is the inverse FFT of the mean of the energy-normalised
    ///   power spectra — one inverse FFT in total instead of one per frame;
    /// * frames advance by one sample, so each frame's spectrum comes from the
    ///   previous one by a sliding DFT (O(N) instead of an O(N log N) FFT), and
    ///   the periodic Hann window is a 3-tap filter in the frequency domain when
    ///   N = 2·AC_WIN. Everything runs in f64 (as librosa, whose Hann window is
    ///   f64); the state is re-computed exactly every `RESYNC` frames and reset
    ///   when the window is all zeros, so rounding cannot accumulate.
    pub fn mean_tempogram(onset_env: &[f32]) -> Vec<f64>
    => mean_tempogram_avx2, mean_tempogram_portable
}

#[inline(always)]
fn mean_tempogram_portable(onset_env: &[f32]) -> Vec<f64> {
    let n = onset_env.len();
    let mut tg = vec![0.0f64; AC_WIN];
    if n == 0 {
        return tg;
    }
    let half = AC_WIN / 2;
    // np.pad(mode='linear_ramp', end_values=0): ramps from 0 up to (but
    // excluding) the edge value, on both sides.
    let mut padded = Vec::with_capacity(n + 2 * half);
    let (first, last) = (onset_env[0] as f64, onset_env[n - 1] as f64);
    padded.extend((0..half).map(|i| first * i as f64 / half as f64));
    padded.extend(onset_env.iter().map(|&v| v as f64));
    padded.extend((0..half).map(|i| last * (half - 1 - i) as f64 / half as f64));

    let plan = ac_plan();
    let mut buf = plan.fwd.make_input_vec();
    let mut spec = plan.fwd.make_output_vec();
    let mut y = Sliding::new();
    let mut pow = vec![0.0f64; AC_BINS];
    let mut acc = vec![0.0f64; AC_BINS];
    let mut nonzero = padded[..AC_WIN].iter().filter(|&&v| v != 0.0).count();
    // librosa frames the padded envelope with hop 1 and keeps the first n.
    for t in 0..n {
        if t > 0 {
            let (old, new) = (padded[t - 1], padded[t - 1 + AC_WIN]);
            nonzero = nonzero + (new != 0.0) as usize - (old != 0.0) as usize;
            if nonzero == 0 {
                y.clear();
            } else if t % RESYNC == 0 {
                y.sync(plan, &padded[t..t + AC_WIN], &mut buf, &mut spec);
            } else {
                y.slide(plan, old, new);
            }
        } else {
            y.sync(plan, &padded[..AC_WIN], &mut buf, &mut spec);
        }
        // librosa's normalize leaves all-zero frames as zeros. The Hann
        // window's first weight is 0, so a frame whose only non-zero value is
        // its first is all-zero too; skip it rather than divide rounding
        // noise by rounding noise.
        if nonzero - (padded[t] != 0.0) as usize == 0 {
            continue;
        }
        y.guards();
        // Hann (periodic, length L): w = ½ − ¼e^{2πij·2/N} − ¼e^{−2πij·2/N},
        // so X[m] = ½Y[m] − ¼(Y[m−2] + Y[m+2]).
        // Bin m of the windowed spectrum from guard-offset bins m, m+2, m+4.
        fn taps(v: &[f64]) -> (&[f64], &[f64], &[f64]) {
            (&v[..AC_BINS], &v[2..AC_BINS + 2], &v[4..AC_BINS + 4])
        }
        let ((r0, r2, r4), (i0, i2, i4)) = (taps(&y.re), taps(&y.im));
        for (((((p, &r0), &r2), &r4), &i0), (&i2, &i4)) in pow
            .iter_mut()
            .zip(r0)
            .zip(r2)
            .zip(r4)
            .zip(i0)
            .zip(i2.iter().zip(i4))
        {
            let xr = 0.5 * r2 - 0.25 * (r0 + r4);
            let xi = 0.5 * i2 - 0.25 * (i0 + i4);
            *p = xr * xr + xi * xi;
        }
        // Lag-0 autocorrelation = Σx² = (1/N)·Σ|X|² (Parseval; interior bins
        // of the one-sided spectrum count twice). Summed in 4 lanes so the
        // loop vectorises instead of waiting on one add chain.
        let mut lanes = [0.0f64; 4];
        let (chunks, rest) = pow.as_chunks::<4>();
        for c in chunks {
            for l in 0..4 {
                lanes[l] += c[l];
            }
        }
        let sum = lanes.iter().sum::<f64>() + rest.iter().sum::<f64>();
        let energy = (2.0 * sum - pow[0] - pow[AC_BINS - 1]) / AC_N as f64;
        if energy < f64::MIN_POSITIVE {
            continue;
        }
        let inv = 1.0 / energy;
        for (a, &p) in acc.iter_mut().zip(&pow) {
            *a += p * inv;
        }
    }
    let mut spec: Vec<Complex<f64>> = acc.iter().map(|&p| Complex::new(p, 0.0)).collect();
    let mut out = plan.inv.make_output_vec();
    if plan.inv.process(&mut spec, &mut out).is_ok() {
        // Undo the unnormalised inverse FFT and average over frames.
        let scale = 1.0 / (AC_N as f64 * n as f64);
        for (g, &o) in tg.iter_mut().zip(&out) {
            *g = o * scale;
        }
    }
    tg
}

/// Tempo in BPM of an onset-strength envelope (librosa `feature.tempo` with
/// defaults: 8-s autocorrelation tempogram averaged over time, log-normal prior
/// centred on 120 BPM with one octave std, lags faster than 320 BPM excluded,
/// argmax of `log1p(1e6·tg) + logprior`). An empty or all-zero envelope gives
/// librosa's answer for silence (the lag nearest 120 BPM: 117.45 BPM).
pub fn tempo(onset_env: &[f32]) -> f32 {
    tempo_of(&mean_tempogram(onset_env))
}

/// Tempo and rhythm-band energies from one tempogram (it is the costly part).
pub fn tempo_and_bands(onset_env: &[f32]) -> (f32, [f32; TEMPO_BANDS]) {
    let tg = mean_tempogram(onset_env);
    (tempo_of(&tg), band_energies(&tg))
}

/// Number of third-octave tempo bands, from [`BAND_LOW_BPM`] up (4 octaves).
pub const TEMPO_BANDS: usize = 12;
/// Lower edge of the first tempo band, BPM.
pub const BAND_LOW_BPM: f64 = 30.0;

/// Lower and upper edge of tempo band `b`, BPM.
pub fn band_edges(b: usize) -> (f64, f64) {
    let edge = |i: usize| BAND_LOW_BPM * 2f64.powf(i as f64 / 3.0);
    (edge(b), edge(b + 1))
}

/// Mean normalised autocorrelation of the onset envelope in each
/// third-octave tempo band (30–480 BPM): how strongly the music pulses at
/// each rate, beyond the single tempo estimate. Every band holds at least
/// one lag (the narrowest, 381–480 BPM, holds lag 6).
fn band_energies(tg: &[f64]) -> [f32; TEMPO_BANDS] {
    let mut sum = [0.0f64; TEMPO_BANDS];
    let mut count = [0usize; TEMPO_BANDS];
    for (k, &g) in tg.iter().enumerate().skip(1) {
        let bpm = lag_bpm(k);
        let pos = (bpm / BAND_LOW_BPM).log2() * 3.0;
        if pos >= 0.0 && pos < TEMPO_BANDS as f64 {
            let b = pos as usize;
            sum[b] += g;
            count[b] += 1;
        }
    }
    let mut out = [0.0f32; TEMPO_BANDS];
    for ((o, s), c) in out.iter_mut().zip(sum).zip(count) {
        let v = s / c.max(1) as f64;
        *o = if v.is_finite() { v as f32 } else { 0.0 };
    }
    out
}

fn tempo_of(tg: &[f64]) -> f32 {
    let mut best = (f64::NEG_INFINITY, 0usize);
    for (k, &g) in tg.iter().enumerate() {
        let bpm = lag_bpm(k);
        if bpm >= MAX_TEMPO {
            continue;
        }
        let prior = -0.5 * ((bpm.log2() - START_BPM.log2()) / STD_BPM).powi(2);
        // Tiny negative rounding noise must not reach log1p(< −1).
        let score = (1e6 * g.max(0.0)).ln_1p() + prior;
        if score > best.0 {
            best = (score, k);
        }
    }
    lag_bpm(best.1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_empty_give_librosa_prior_peak() {
        // librosa.feature.tempo(onset_envelope=np.zeros(100), sr=22050) → 117.45383523
        assert!((tempo(&[]) - 117.453_835).abs() < 1e-3);
        assert!((tempo(&[0.0; 100]) - 117.453_835).abs() < 1e-3);
        assert!((tempo(&[0.0]) - 117.453_835).abs() < 1e-3);
    }

    #[test]
    fn onset_strength_shape_and_padding() {
        let mut m = Matrix::zeros(4, 6);
        // A step up of 8 dB in every band between frames 1 and 2.
        for b in 0..4 {
            for t in 2..6 {
                m.set(b, t, 8.0);
            }
        }
        let o = onset_strength(&m);
        // Flux between frames 1→2 lands at index 1 + ONSET_PAD = 4.
        assert_eq!(o, vec![0.0, 0.0, 0.0, 0.0, 8.0, 0.0]);
        assert_eq!(onset_strength(&Matrix::zeros(128, 1)), vec![0.0]);
    }

    /// librosa's tempogram done the slow, literal way: per frame, direct
    /// autocorrelation of the Hann-windowed padded envelope, divided by its
    /// maximum |value|, then the mean over frames.
    fn naive_mean_tempogram(env: &[f32]) -> Vec<f64> {
        let n = env.len();
        let half = AC_WIN / 2;
        let mut p: Vec<f64> = (0..half)
            .map(|i| env[0] as f64 * i as f64 / half as f64)
            .collect();
        p.extend(env.iter().map(|&v| v as f64));
        p.extend((0..half).map(|i| env[n - 1] as f64 * (half - 1 - i) as f64 / half as f64));
        let w: Vec<f64> = (0..AC_WIN)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / AC_WIN as f64).cos())
            .collect();
        let mut tg = vec![0.0; AC_WIN];
        for t in 0..n {
            let x: Vec<f64> = (0..AC_WIN).map(|j| p[t + j] * w[j]).collect();
            let r: Vec<f64> = (0..AC_WIN)
                .map(|k| (0..AC_WIN - k).map(|j| x[j] * x[j + k]).sum())
                .collect();
            let max = r.iter().fold(0.0f64, |a, &v| a.max(v.abs()));
            let norm = if max < f64::MIN_POSITIVE { 1.0 } else { max };
            for (g, v) in tg.iter_mut().zip(&r) {
                *g += v / norm;
            }
        }
        tg.iter().map(|g| g / n as f64).collect()
    }

    #[test]
    fn sliding_tempogram_equals_literal_librosa_tempogram() {
        // Irregular envelope with silent gaps (exercises the zero reset), a
        // loud burst followed by tiny values, and more than RESYNC frames.
        let mut state = 12345u32;
        let env: Vec<f32> = (0..RESYNC + 900)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let r = (state >> 8) as f32 / (1u32 << 24) as f32;
                match i {
                    1000..=1500 => 0.0,
                    2000..=2100 => 50.0 * r,
                    _ if i % 37 == 0 => 3.0 + r,
                    _ => 1e-3 * r,
                }
            })
            .collect();
        let fast = mean_tempogram(&env);
        let slow = naive_mean_tempogram(&env);
        for (k, (a, b)) in fast.iter().zip(&slow).enumerate() {
            assert!((a - b).abs() < 1e-9, "lag {k}: {a} vs {b}");
        }
        let short = [0.0f32, 1.0, 0.0, 2.0];
        for (a, b) in mean_tempogram(&short)
            .iter()
            .zip(&naive_mean_tempogram(&short))
        {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn every_band_holds_a_lag_and_pulses_light_their_band() {
        for b in 0..TEMPO_BANDS {
            let (lo, hi) = band_edges(b);
            assert!(
                (1..AC_WIN).any(|k| (lo..hi).contains(&lag_bpm(k))),
                "band {b}"
            );
        }
        // Pulses at 92.3 BPM (every 28 frames): its band (75.6–95.2 BPM) is
        // the strongest of the bands around it.
        let env: Vec<f32> = (0..2000)
            .map(|i| if i % 28 == 0 { 1.0 } else { 0.0 })
            .collect();
        let (t, bands) = tempo_and_bands(&env);
        assert!((t - tempo(&env)).abs() < 1e-6);
        let own = (0..TEMPO_BANDS)
            .find(|&b| (band_edges(b).0..band_edges(b).1).contains(&92.285))
            .unwrap();
        assert!(
            bands[own] > bands[own - 1] && bands[own] > bands[own + 1],
            "{bands:?}"
        );
        assert!(bands.iter().all(|v| v.is_finite()));
        let (_, silent) = tempo_and_bands(&[0.0; 500]);
        assert!(silent.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn periodic_pulses_give_their_tempo() {
        // A pulse every 28 frames: 60·22050/(512·28) = 92.28 BPM.
        let env: Vec<f32> = (0..2000)
            .map(|i| if i % 28 == 0 { 1.0 } else { 0.0 })
            .collect();
        assert!((tempo(&env) - 92.285_16).abs() < 1e-3);
    }
}

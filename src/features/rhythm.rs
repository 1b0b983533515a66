//! Onset strength and tempo (librosa `onset.onset_strength`, `feature.tempo`),
//! both with librosa 0.11's defaults.

use std::sync::{Arc, OnceLock};

use realfft::{num_complex::Complex, ComplexToReal, RealFftPlanner, RealToComplex};

use super::{Matrix, HOP, N_FFT, SR};

/// Frames of leading zeros librosa puts before the spectral flux:
/// `lag + n_fft // (2 * hop_length)` with lag 1, so frame `t`'s flux compares
/// frames `t − 3` and `t − 2` (centring the difference on the STFT frames).
const ONSET_PAD: usize = 1 + N_FFT / (2 * HOP);

/// Onset-strength envelope from the mel spectrogram in dB (128 × frames, after
/// `power_to_db` with top_db 80), as librosa `onset_strength` with its defaults:
/// lag 1, `max_size` 1 (no reference filtering), positive spectral flux averaged
/// over bands, `ONSET_PAD` zeros in front, trimmed to the number of frames.
pub fn onset_strength(mel_db: &Matrix) -> Vec<f32> {
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
/// FFT length for the per-window autocorrelation: any length ≥ 2·AC_WIN − 1
/// gives the exact linear autocorrelation; 720 = 2⁴·3²·5 keeps rustfft fast.
const AC_FFT: usize = 720;
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
    window: Vec<f64>,
}

fn ac_plan() -> &'static AcPlan {
    static P: OnceLock<AcPlan> = OnceLock::new();
    P.get_or_init(|| {
        let mut planner = RealFftPlanner::<f64>::new();
        // scipy `get_window('hann', AC_WIN, fftbins=True)`: periodic Hann, f64.
        let window = (0..AC_WIN)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / AC_WIN as f64).cos())
            .collect();
        AcPlan {
            fwd: planner.plan_fft_forward(AC_FFT),
            inv: planner.plan_fft_inverse(AC_FFT),
            window,
        }
    })
}

/// Mean over frames of librosa's autocorrelation tempogram (`tempogram` with
/// `win_length = AC_WIN`, Hann, centred with `linear_ramp` padding, norm = inf),
/// one value per lag `0..AC_WIN`.
///
/// Why it is fast: each frame's autocorrelation is normalised by its maximum,
/// which for an autocorrelation is the lag-0 value (its energy). Because the
/// inverse FFT is linear, the mean of the normalised autocorrelations is the
/// inverse FFT of the mean of the normalised power spectra, so each frame
/// costs one forward FFT and a single inverse FFT runs at the end (librosa
/// does a forward and an inverse per frame). A 3-hour envelope takes well
/// under a second.
pub fn mean_tempogram(onset_env: &[f32]) -> Vec<f64> {
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
    let mut input = plan.fwd.make_input_vec();
    let mut spec = plan.fwd.make_output_vec();
    let mut scratch = plan.fwd.make_scratch_vec();
    let mut acc = vec![0.0f64; spec.len()];
    // librosa frames the padded envelope with hop 1 and keeps the first n.
    for t in 0..n {
        let frame = &padded[t..t + AC_WIN];
        let mut energy = 0.0;
        for ((x, &v), &w) in input.iter_mut().zip(frame).zip(&plan.window) {
            *x = v * w;
            energy += *x * *x;
        }
        // librosa's normalize leaves all-zero (below `tiny`) frames as zeros.
        if energy < f64::MIN_POSITIVE {
            continue;
        }
        input[AC_WIN..].iter_mut().for_each(|x| *x = 0.0);
        if plan
            .fwd
            .process_with_scratch(&mut input, &mut spec, &mut scratch)
            .is_err()
        {
            continue; // Buffer sizes come from the plan; cannot happen.
        }
        let inv = 1.0 / energy;
        for (a, c) in acc.iter_mut().zip(&spec) {
            *a += (c.re * c.re + c.im * c.im) * inv;
        }
    }
    let mut spec: Vec<Complex<f64>> = acc.iter().map(|&p| Complex::new(p, 0.0)).collect();
    let mut out = plan.inv.make_output_vec();
    if plan.inv.process(&mut spec, &mut out).is_ok() {
        // Undo the unnormalised inverse FFT and average over frames.
        let scale = 1.0 / (AC_FFT as f64 * n as f64);
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
    let tg = mean_tempogram(onset_env);
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

    #[test]
    fn periodic_pulses_give_their_tempo() {
        // A pulse every 28 frames: 60·22050/(512·28) = 92.28 BPM.
        let env: Vec<f32> = (0..2000)
            .map(|i| if i % 28 == 0 { 1.0 } else { 0.0 })
            .collect();
        assert!((tempo(&env) - 92.285_156).abs() < 1e-3);
    }
}

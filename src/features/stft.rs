//! Short-time Fourier transform as librosa's `stft` with its defaults: periodic
//! Hann window of `N_FFT`, hop `HOP`, centred frames with zero (`constant`)
//! padding, so frame `t` is centred on sample `t * HOP`.

use std::sync::{Arc, OnceLock};

use realfft::{num_complex::Complex, RealFftPlanner, RealToComplex};

use super::{HOP, N_BINS, N_FFT};

/// Power spectrogram |X|², frame-major: frame `t` is `power[t*N_BINS..(t+1)*N_BINS]`.
#[derive(Debug, Clone, Default)]
pub struct Spectrogram {
    /// Number of frames (1 + len/HOP).
    pub n_frames: usize,
    /// |X|² per frame and bin, frame-major.
    pub power: Vec<f32>,
}

impl Spectrogram {
    /// Power spectrum of frame `t`.
    pub fn frame(&self, t: usize) -> &[f32] {
        &self.power[t * N_BINS..(t + 1) * N_BINS]
    }

    /// Iterator over the frames' power spectra.
    pub fn frames(&self) -> impl Iterator<Item = &[f32]> {
        self.power.chunks_exact(N_BINS)
    }
}

/// Periodic Hann window of length `n` (scipy `get_window('hann', n, fftbins=True)`).
pub fn hann(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let x = std::f64::consts::PI * 2.0 * i as f64 / n as f64;
            (0.5 - 0.5 * x.cos()) as f32
        })
        .collect()
}

/// Number of centred frames for a signal of `len` samples (librosa: 1 + len // hop).
pub fn n_frames(len: usize) -> usize {
    1 + len / HOP
}

fn plan() -> Arc<dyn RealToComplex<f32>> {
    static PLAN: OnceLock<Arc<dyn RealToComplex<f32>>> = OnceLock::new();
    PLAN.get_or_init(|| RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT))
        .clone()
}

fn window() -> &'static [f32] {
    static W: OnceLock<Vec<f32>> = OnceLock::new();
    W.get_or_init(|| hann(N_FFT))
}

/// Copy the windowed frame centred on `center` (zero outside `y`) into `buf`.
fn fill_frame(y: &[f32], center: usize, buf: &mut [f32]) {
    let w = window();
    let half = N_FFT / 2;
    // Frame covers y[center - half .. center + half), clipped to y.
    let start = center as isize - half as isize;
    // Interior frames (all but ~4 per signal): a straight slice product.
    if start >= 0 && start as usize + N_FFT <= y.len() {
        let seg = &y[start as usize..start as usize + N_FFT];
        for ((b, &v), &wi) in buf.iter_mut().zip(seg).zip(w) {
            *b = v * wi;
        }
        return;
    }
    for (i, b) in buf.iter_mut().enumerate() {
        let j = start + i as isize;
        *b = if j >= 0 && (j as usize) < y.len() {
            y[j as usize] * w[i]
        } else {
            0.0
        };
    }
}

/// Power spectrogram |STFT(y)|² (librosa `np.abs(stft(y))**2`).
#[inline(always)] // compiled into frame_features' AVX2 copy too
pub fn power_spectrogram(y: &[f32]) -> Spectrogram {
    let n = n_frames(y.len());
    let fft = plan();
    let mut input = fft.make_input_vec();
    let mut spec: Vec<Complex<f32>> = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let mut power = vec![0.0f32; n * N_BINS];
    for (t, out) in power.chunks_exact_mut(N_BINS).enumerate() {
        fill_frame(y, t * HOP, &mut input);
        // Length of buffers is fixed by the plan, so this cannot fail.
        if fft
            .process_with_scratch(&mut input, &mut spec, &mut scratch)
            .is_err()
        {
            continue;
        }
        for (o, c) in out.iter_mut().zip(&spec) {
            *o = c.re * c.re + c.im * c.im;
        }
    }
    Spectrogram { n_frames: n, power }
}

/// FFT bin centre frequencies in Hz (librosa `fft_frequencies`).
pub fn fft_frequencies() -> &'static [f32] {
    static F: OnceLock<Vec<f32>> = OnceLock::new();
    F.get_or_init(|| {
        (0..N_BINS)
            .map(|k| (k as f64 * super::SR as f64 / N_FFT as f64) as f32)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_count_matches_librosa() {
        assert_eq!(n_frames(0), 1);
        assert_eq!(n_frames(1000), 2);
        assert_eq!(n_frames(66150), 130);
    }

    #[test]
    fn sine_peaks_at_its_bin_with_parseval_energy() {
        let sr = super::super::SR as f32;
        // Put a sine exactly on bin 40.
        let f = 40.0 * sr / N_FFT as f32;
        let y: Vec<f32> = (0..8192)
            .map(|i| (2.0 * std::f32::consts::PI * f * i as f32 / sr).sin())
            .collect();
        let s = power_spectrogram(&y);
        let mid = s.frame(8);
        let peak = (0..N_BINS)
            .max_by(|&a, &b| mid[a].total_cmp(&mid[b]))
            .unwrap();
        assert_eq!(peak, 40);
        // Hann-windowed unit sine: |X|= N/4 at the bin.
        let expect = (N_FFT as f32 / 4.0).powi(2);
        assert!(
            (mid[40] / expect - 1.0).abs() < 1e-3,
            "{} vs {expect}",
            mid[40]
        );
    }
}

//! Short-time Fourier transform as librosa's `stft` with its defaults: periodic
//! Hann window of `N_FFT`, hop `HOP`, centred frames with zero (`constant`)
//! padding, so frame `t` is centred on sample `t * HOP`.

use std::sync::{Arc, OnceLock};

use rustfft::{num_complex::Complex, Fft, FftPlanner};

use super::simd::avx2_dispatch;
use super::{HOP, N_BINS, N_FFT};

/// Power spectrogram |X|², frame-major: frame `t` is `power[t*N_BINS..(t+1)*N_BINS]`.
#[derive(Debug, Clone, Default)]
pub struct Spectrogram {
    /// Number of frames (1 + len/HOP).
    pub n_frames: usize,
    /// |X|² per frame and bin, frame-major.
    pub power: Vec<f32>,
}

/// The buffer goes back to this thread's pool for the next spectrogram (see
/// `features::scratch`: fresh pages cost a page fault each).
impl Drop for Spectrogram {
    fn drop(&mut self) {
        super::scratch::give(std::mem::take(&mut self.power));
    }
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

/// Half the FFT length: the real frame is transformed as `M` complex values.
const M: usize = N_FFT / 2;

/// The real FFT of a frame, done as a complex FFT of half the length plus a
/// "post-processing" step that separates the even and odd samples' spectra
/// (the textbook real-FFT trick realfft uses too).
///
/// Why not realfft itself: its post-processing loop is generic scalar code
/// that cost more than the complex FFT (≈ 19k of ≈ 31k instructions per
/// frame under callgrind). We only need |X|², so the step below computes the
/// power directly, in fixed 8-wide chunks the compiler vectorises.
struct PowerFft {
    fft: Arc<dyn Fft<f32>>,
    /// Real and imaginary parts of ½·e^{−2πik/N_FFT} for k = 1..=M/2.
    tw_re: Vec<f32>,
    tw_im: Vec<f32>,
    /// Periodic Hann window.
    window: Vec<f32>,
}

fn power_fft() -> &'static PowerFft {
    static P: OnceLock<PowerFft> = OnceLock::new();
    P.get_or_init(|| {
        let angle = |k: usize| -std::f64::consts::TAU * k as f64 / N_FFT as f64;
        PowerFft {
            fft: FftPlanner::<f32>::new().plan_fft_forward(M),
            tw_re: (1..=M / 2).map(|k| (0.5 * angle(k).cos()) as f32).collect(),
            tw_im: (1..=M / 2).map(|k| (0.5 * angle(k).sin()) as f32).collect(),
            window: hann(N_FFT),
        }
    })
}

/// Copy the windowed frame centred on `center` (zero outside `y`) into `buf`
/// as complex pairs: sample `2j` is `buf[j].re`, sample `2j + 1` is `buf[j].im`.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn fill_frame(y: &[f32], center: usize, w: &[f32], buf: &mut [Complex<f32>]) {
    let half = N_FFT / 2;
    // Frame covers y[center - half .. center + half), clipped to y.
    let start = center as isize - half as isize;
    // Interior frames (all but ~4 per signal): a straight slice product.
    if start >= 0 && start as usize + N_FFT <= y.len() {
        let seg = &y[start as usize..start as usize + N_FFT];
        let (seg, _) = seg.as_chunks::<2>();
        let (w, _) = w.as_chunks::<2>();
        for ((b, s), w) in buf.iter_mut().zip(seg).zip(w) {
            *b = Complex::new(s[0] * w[0], s[1] * w[1]);
        }
        return;
    }
    let at = |i: usize| {
        let j = start + i as isize;
        if j >= 0 && (j as usize) < y.len() {
            y[j as usize] * w[i]
        } else {
            0.0
        }
    };
    for (j, b) in buf.iter_mut().enumerate() {
        *b = Complex::new(at(2 * j), at(2 * j + 1));
    }
}

/// Real and imaginary parts of the half-size FFT, reused across frames
/// (zero-filling fresh arrays per frame cost more than filling them).
struct Split {
    re: [f32; M],
    im: [f32; M],
}

/// |X[k]|² for k = 0..=M from `z`, the M-point complex FFT of the frame's
/// sample pairs. With A = Z[k], B = Z[M−k]:
/// X[k]   = ½(A + B̄) − ½i·W^k (A − B̄),   W = e^{−2πi/N_FFT},
/// X[M−k] is the mirror image, so each (k, M−k) pair shares its sums.
///
/// `z` is first split into real and imaginary arrays: reading Z[M−k]
/// backwards is then one lane reversal per 8 values, where the interleaved
/// complex layout needed several shuffles per value.
#[inline(always)] // compiled into its caller's AVX2 copy too
fn power_from_half_fft(z: &[Complex<f32>], p: &PowerFft, split: &mut Split, out: &mut [f32]) {
    let Split { re, im } = split;
    for ((r, i), c) in re.iter_mut().zip(im.iter_mut()).zip(z) {
        *r = c.re;
        *i = c.im;
    }
    // DC and Nyquist come from Z[0] alone.
    out[0] = (re[0] + im[0]).powi(2);
    out[M] = (re[0] - im[0]).powi(2);
    // Chunk j pairs k = 1 + 8j + l (rising) with M − k = M − 1 − 8j − l
    // (falling); k runs to M/2 inclusive, where both formulas give the same
    // bin (the second write wins; they agree to rounding).
    let tr = p.tw_re.as_chunks::<8>().0;
    let ti = p.tw_im.as_chunks::<8>().0;
    for (j, (wr, wi)) in tr.iter().zip(ti).enumerate() {
        let k0 = 1 + 8 * j;
        let m0 = M - k0 - 7;
        let chunk = |v: &[f32; M], at: usize| -> [f32; 8] { std::array::from_fn(|l| v[at + l]) };
        let (ar, ai) = (chunk(re, k0), chunk(im, k0));
        let (br, bi) = (chunk(re, m0), chunk(im, m0));
        let (mut pk, mut pm) = ([0.0f32; 8], [0.0f32; 8]);
        for l in 0..8 {
            // B is read backwards: lane l of this chunk pairs with 7 − l.
            let (b_re, b_im) = (br[7 - l], bi[7 - l]);
            // Same arithmetic as realfft's post-processing, with the twiddle
            // pre-scaled by ½.
            let (sum_re, sum_im) = (ar[l] + b_re, ai[l] + b_im);
            let (diff_re, diff_im) = (ar[l] - b_re, ai[l] - b_im);
            let half_sum_re = 0.5 * sum_re;
            let half_diff_im = 0.5 * diff_im;
            let t_re = sum_im * wr[l] + diff_re * wi[l];
            let t_im = sum_im * wi[l] - diff_re * wr[l];
            let (xr, xi) = (half_sum_re + t_re, half_diff_im + t_im);
            let (yr, yi) = (half_sum_re - t_re, t_im - half_diff_im);
            pk[l] = xr * xr + xi * xi;
            pm[7 - l] = yr * yr + yi * yi;
        }
        out[k0..k0 + 8].copy_from_slice(&pk);
        // pm[7 − l] belongs to bin M − k0 − l = m0 + 7 − l.
        out[m0..m0 + 8].copy_from_slice(&pm);
    }
}

/// Power spectrogram |STFT(y)|² (librosa `np.abs(stft(y))**2`).
pub fn power_spectrogram(y: &[f32]) -> Spectrogram {
    let n = n_frames(y.len());
    let mut fp = FramePower::new();
    let mut spec = Spectrogram::with_capacity(n);
    let mut frame = [0.0f32; N_BINS];
    for t in 0..n {
        fp.compute(y, t, &mut frame);
        spec.push_frame(&frame);
    }
    spec
}

impl Spectrogram {
    /// An empty spectrogram with room for `n` frames (the buffer comes from
    /// this thread's pool: fresh pages cost a page fault each).
    pub(crate) fn with_capacity(n: usize) -> Self {
        Spectrogram {
            n_frames: 0,
            power: super::scratch::take(n * N_BINS),
        }
    }

    /// Append one frame's power spectrum (`N_BINS` values).
    pub(crate) fn push_frame(&mut self, frame: &[f32; N_BINS]) {
        self.power.extend_from_slice(frame);
        self.n_frames += 1;
    }
}

/// Power spectra of a signal's frames one at a time, with the FFT buffers
/// reused across frames.
pub(crate) struct FramePower {
    input: Vec<Complex<f32>>,
    z: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    split: Box<Split>,
}

impl FramePower {
    pub(crate) fn new() -> Self {
        let zeros = |n| vec![Complex::new(0.0f32, 0.0); n];
        FramePower {
            input: zeros(M),
            z: zeros(M),
            scratch: zeros(power_fft().fft.get_outofplace_scratch_len()),
            split: Box::new(Split {
                re: [0.0; M],
                im: [0.0; M],
            }),
        }
    }

    /// |X|² of frame `t` of `y` (centred on sample `t·HOP`) into `out`.
    pub(crate) fn compute(&mut self, y: &[f32], t: usize, out: &mut [f32; N_BINS]) {
        frame_power(self, y, t, out);
    }
}

avx2_dispatch! {
    /// One frame of [`FramePower`].
    fn frame_power(st: &mut FramePower, y: &[f32], t: usize, out: &mut [f32; N_BINS])
        => frame_power_avx2, frame_power_portable
}

#[inline(always)]
fn frame_power_portable(st: &mut FramePower, y: &[f32], t: usize, out: &mut [f32; N_BINS]) {
    let p = power_fft();
    fill_frame(y, t * HOP, &p.window, &mut st.input);
    p.fft
        .process_outofplace_with_scratch(&mut st.input, &mut st.z, &mut st.scratch);
    power_from_half_fft(&st.z, p, &mut st.split, out);
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

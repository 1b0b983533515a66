//! Audio features in the tradition of librosa 0.11 (defaults: sr 22050,
//! n_fft 2048, hop 512, Hann, centred frames with zero padding).
//!
//! `frame_features` computes every per-frame feature of one signal exactly as
//! librosa does; `Analyzer` streams a whole track through it segment by
//! segment and pools the frames into a `fingerprint::Fingerprint`.

pub mod analyzer;
pub mod chroma;
pub mod delta;
pub mod fingerprint;
pub mod matrix;
pub mod mel;
pub mod mfcc;
pub mod rhythm;
mod scratch;
mod simd;
pub mod spectral;
pub mod stft;
pub mod temporal;
pub mod timbre;

pub use analyzer::Analyzer;
pub use matrix::Matrix;

/// Analysis sample rate (librosa's default).
pub const SR: u32 = 22050;
/// FFT size.
pub const N_FFT: usize = 2048;
/// Hop between frames.
pub const HOP: usize = 512;
/// Number of FFT bins (1 + N_FFT/2).
pub const N_BINS: usize = N_FFT / 2 + 1;

/// Every per-frame feature of one signal; each row has one value per frame.
#[derive(Debug, Clone)]
pub struct FrameFeatures {
    /// `chroma_stft`, 12 × frames (tuning estimated, norm = inf).
    pub chroma: Matrix,
    /// `spectral_centroid`, Hz.
    pub centroid: Vec<f32>,
    /// `spectral_bandwidth` (p = 2), Hz.
    pub bandwidth: Vec<f32>,
    /// `spectral_rolloff` (0.85), Hz.
    pub rolloff: Vec<f32>,
    /// `spectral_contrast`, 7 × frames, dB.
    pub contrast: Matrix,
    /// `mfcc`, 20 × frames.
    pub mfcc: Matrix,
    /// `zero_crossing_rate`.
    pub zcr: Vec<f32>,
    /// `rms`.
    pub rms: Vec<f32>,
    /// `spectral_flatness`.
    pub flatness: Vec<f32>,
    /// `onset_strength` envelope (one value per frame), input to tempo.
    pub onset_env: Vec<f32>,
    /// Tuning estimated for chroma, in fractions of a semitone.
    pub tuning: f32,
}

/// All per-frame features of `y` (mono, 22050 Hz), computed as librosa 0.11
/// does with its defaults. An empty `y` gives one all-zero frame, as librosa.
///
/// One power spectrogram feeds every spectral feature; the log-mel matrix is
/// shared by MFCC and onset strength (librosa recomputes both from `y`, with
/// identical parameters, so sharing changes nothing).
pub fn frame_features(y: &[f32]) -> FrameFeatures {
    // One pass over the frames computes everything that needs a frame on
    // its own (spectral shape, mel bands, the peaks for the tuning) while the
    // frame's power spectrum is still in cache; only chroma, which needs the
    // tuning of the whole signal first, reads the stored spectrogram again.
    // (Separate passes over the 5 MB spectrogram of a 30-s clip spent much of
    // their time waiting for memory.)
    let n = stft::n_frames(y.len());
    let mut power = stft::FramePower::new();
    let mut spec = stft::Spectrogram::with_capacity(n);
    let mut peaks = chroma::Peaks::default();
    let mut shape = spectral::ShapeFrames::new(n);
    let mut mel_db = Matrix::zeros(mel::N_MELS, n);
    let mut frame = [0.0f32; N_BINS];
    let mut bands = [0.0f32; mel::N_MELS];
    for t in 0..n {
        power.compute(y, t, &mut frame);
        peaks.push(&frame);
        shape.push(&frame);
        mel::mel_frame(&frame, &mut bands);
        mel::set_column(&mut mel_db, t, &bands);
        spec.push_frame(&frame);
    }
    let tuning = peaks.tuning();
    let chroma = chroma::chroma_with_tuning(&spec, tuning);
    let tuning = tuning as f32;
    // The spectrogram is the largest buffer (1025 × frames); free it before
    // the remaining allocations.
    drop(spec);
    let sf = shape.finish();
    mel::power_to_db(&mut mel_db.data);
    let mfcc = mfcc::mfcc(&mel_db);
    let onset_env = rhythm::onset_strength(&mel_db);
    drop(mel_db);
    FrameFeatures {
        chroma,
        centroid: sf.centroid,
        bandwidth: sf.bandwidth,
        rolloff: sf.rolloff,
        contrast: sf.contrast,
        mfcc,
        zcr: temporal::zero_crossing_rate(y),
        rms: temporal::rms(y),
        flatness: sf.flatness,
        onset_env,
        tuning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The single fused pass of `frame_features` gives exactly what the
    /// separate public functions give (same kernels, same order of
    /// operations), for lengths around frame boundaries and a tuned tone.
    #[test]
    fn fused_pass_equals_separate_functions() {
        for len in [0usize, 1, 2047, 5000, 3 * 22050 + 7] {
            let y: Vec<f32> = (0..len)
                .map(|i| {
                    let t = i as f32 / SR as f32;
                    0.4 * (2.0 * std::f32::consts::PI * 446.0 * t).sin()
                        + 0.1 * ((i * 7919 % 1013) as f32 / 1013.0 - 0.5)
                })
                .collect();
            let f = frame_features(&y);
            let spec = stft::power_spectrogram(&y);
            let (chroma, tuning) = chroma::chroma_stft(&spec);
            let sf = spectral::spectral_features(&spec);
            let db = mel::mel_db(&spec);
            assert_eq!(f.chroma, chroma, "len {len}");
            assert_eq!(f.tuning, tuning, "len {len}");
            assert_eq!(f.centroid, sf.centroid, "len {len}");
            assert_eq!(f.bandwidth, sf.bandwidth, "len {len}");
            assert_eq!(f.rolloff, sf.rolloff, "len {len}");
            assert_eq!(f.contrast, sf.contrast, "len {len}");
            assert_eq!(f.flatness, sf.flatness, "len {len}");
            assert_eq!(f.mfcc, mfcc::mfcc(&db), "len {len}");
            assert_eq!(f.onset_env, rhythm::onset_strength(&db), "len {len}");
        }
    }
}

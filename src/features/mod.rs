//! Audio features in the tradition of librosa 0.11 (defaults: sr 22050,
//! n_fft 2048, hop 512, Hann, centred frames with zero padding).
//!
//! `frame_features` computes every per-frame feature of one signal exactly as
//! librosa does; `Analyzer` streams a whole track through it segment by
//! segment and pools the frames into a `fingerprint::Fingerprint`.

pub mod analyzer;
pub mod chroma;
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
    let spec = stft::power_spectrogram(y);
    let (chroma, tuning) = chroma::chroma_stft(&spec);
    let sf = spectral::spectral_features(&spec);
    let mel_db = mel::mel_db(&spec);
    // The spectrogram is the largest buffer (1025 × frames); free it before
    // the remaining allocations.
    drop(spec);
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

//! Chromagram from the power spectrogram (librosa `feature.chroma_stft`).

use super::stft::Spectrogram;
use super::Matrix;

/// Chroma (12 × frames, norm = inf per frame) with tuning estimated from the
/// spectrogram as librosa does; returns the chroma and the tuning (semitones).
pub fn chroma_stft(spec: &Spectrogram) -> (Matrix, f32) {
    let _ = spec;
    unimplemented!("chroma helper implements this")
}

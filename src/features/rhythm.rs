//! Onset strength and tempo (librosa `onset.onset_strength`, `feature.tempo`).

use super::Matrix;

/// Onset-strength envelope from the mel spectrogram in dB (128 × frames, after
/// `power_to_db` with top_db 80), as librosa `onset_strength` with its defaults.
pub fn onset_strength(mel_db: &Matrix) -> Vec<f32> {
    let _ = mel_db;
    unimplemented!("rhythm helper implements this")
}

/// Tempo in BPM of an onset-strength envelope (librosa `feature.tempo`).
pub fn tempo(onset_env: &[f32]) -> f32 {
    let _ = onset_env;
    unimplemented!("rhythm helper implements this")
}

//! Onset strength and tempo (librosa `onset.onset_strength`, `feature.tempo`).

/// Tempo in BPM of an onset-strength envelope (librosa `feature.tempo`).
pub fn tempo(onset_env: &[f32]) -> f32 {
    let _ = onset_env;
    unimplemented!("rhythm helper implements this")
}

//! Time-domain frame features (librosa `zero_crossing_rate`, `rms`).

/// Zero-crossing rate per frame (frame 2048, hop 512, centred, edge padding).
pub fn zero_crossing_rate(y: &[f32]) -> Vec<f32> {
    let _ = y;
    unimplemented!("temporal helper implements this")
}

/// Root-mean-square energy per frame (frame 2048, hop 512, centred, zero padding).
pub fn rms(y: &[f32]) -> Vec<f32> {
    let _ = y;
    unimplemented!("temporal helper implements this")
}

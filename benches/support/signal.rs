//! The benches' deterministic test signal. Included by each bench that
//! needs it with `#[path = "support/signal.rs"] mod signal;`.

/// A deterministic test signal of `seconds` at 22050 Hz: two tones, a pulse train and noise.
pub fn clip(seconds: usize) -> Vec<f32> {
    let sr = 22050.0f32;
    let mut state = 0x1234_5678u32;
    (0..seconds * 22050)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state as f32 / u32::MAX as f32 - 0.5) * 0.1;
            let t = i as f32 / sr;
            let pulse = if i % 11025 < 300 { 0.5 } else { 0.0 };
            0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin()
                + 0.2 * (2.0 * std::f32::consts::PI * 660.0 * t).sin()
                + pulse
                + noise
        })
        .collect()
}

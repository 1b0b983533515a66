//! Short-time Fourier transform (librosa `stft`: Hann, centred, zero padding).

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
        &self.power[t * super::N_BINS..(t + 1) * super::N_BINS]
    }
}

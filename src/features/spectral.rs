//! Spectral shape features from the magnitude spectrum (librosa
//! `spectral_centroid`, `spectral_bandwidth`, `spectral_rolloff`,
//! `spectral_contrast`, `spectral_flatness`), computed in one pass.

use super::stft::Spectrogram;
use super::Matrix;

/// Spectral shape features, one value (or column) per frame.
#[derive(Debug, Clone, Default)]
pub struct SpectralFeatures {
    /// Centroid, Hz.
    pub centroid: Vec<f32>,
    /// Bandwidth (p = 2), Hz.
    pub bandwidth: Vec<f32>,
    /// Roll-off (0.85), Hz.
    pub rolloff: Vec<f32>,
    /// Contrast, 7 × frames, dB.
    pub contrast: Matrix,
    /// Flatness (power = 2).
    pub flatness: Vec<f32>,
}

/// All spectral shape features of a power spectrogram.
pub fn spectral_features(spec: &Spectrogram) -> SpectralFeatures {
    let _ = spec;
    unimplemented!("spectral helper implements this")
}

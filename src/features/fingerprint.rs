//! The fingerprint: a fixed, versioned list of named dimensions summarising a
//! track. First the librosa-parity part ("seed", the original design): for
//! each feature row its mean then its std (ddof 0), then tempo, then the
//! extra features — names match what a librosa/pandas workflow uses. Then
//! musim's own descriptors (MFCC delta spread, rhythm), then the timbre
//! Gaussian (mean and covariance of MFCC 1–19).

use std::sync::OnceLock;

use super::timbre;

/// Version of the feature set; bump whenever names, order or definitions change.
pub const FEATURE_SET_VERSION: u32 = 2;

/// The per-frame features summarised by mean and std, in fingerprint order
/// (name, number of rows). Tempo sits between `mfcc` and the extras.
pub const SUMMARISED: &[(&str, usize)] = &[
    ("chroma_stft", 12),
    ("spectral_centroid", 1),
    ("spectral_bandwidth", 1),
    ("spectral_rolloff", 1),
    ("spectral_contrast", 7),
    ("mfcc", 20),
];

/// Extra features appended after tempo (name, rows).
pub const EXTRAS: &[(&str, usize)] = &[
    ("zero_crossing_rate", 1),
    ("rms", 1),
    ("spectral_flatness", 1),
];

fn push_names(out: &mut Vec<String>, name: &str, rows: usize) {
    for stat in ["mean", "std"] {
        if rows == 1 {
            out.push(format!("{name}_{stat}"));
        } else {
            out.extend((0..rows).map(|i| format!("{name}_{stat}[{i}]")));
        }
    }
}

/// Number of dimensions of the librosa-parity ("seed") part, which comes first.
pub const SEED_DIMS: usize = 91;
/// Rows of the MFCC deltas summarised by their std.
pub const DELTA_ROWS: usize = 20;

/// Names of all fingerprint dimensions, in order.
pub fn feature_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut out = Vec::new();
        for &(name, rows) in SUMMARISED {
            push_names(&mut out, name, rows);
        }
        out.push("tempo".to_string());
        for &(name, rows) in EXTRAS {
            push_names(&mut out, name, rows);
        }
        debug_assert_eq!(out.len(), SEED_DIMS);
        for order in ["mfcc_delta_std", "mfcc_delta2_std"] {
            out.extend((0..DELTA_ROWS).map(|i| format!("{order}[{i}]")));
        }
        out.push("onset_strength_mean".to_string());
        out.push("onset_strength_std".to_string());
        out.extend((0..super::rhythm::TEMPO_BANDS).map(|b| format!("tempo_band[{b}]")));
        out.push("tempo_log".to_string());
        debug_assert_eq!(out.len(), timbre_offset());
        out.extend((0..timbre::DIMS).map(|i| format!("timbre_mean[{i}]")));
        for i in 0..timbre::DIMS {
            out.extend((i..timbre::DIMS).map(|j| format!("timbre_cov[{i},{j}]")));
        }
        out
    })
}

/// Names of the librosa-parity ("seed") dimensions.
pub fn seed_names() -> &'static [String] {
    &feature_names()[..SEED_DIMS]
}

/// Where the timbre Gaussian starts ([`timbre::STORED`] values to the end).
pub const fn timbre_offset() -> usize {
    SEED_DIMS + 2 * DELTA_ROWS + 2 + super::rhythm::TEMPO_BANDS + 1
}

/// Number of fingerprint dimensions.
pub fn dims() -> usize {
    feature_names().len()
}

/// Running per-row sums used to pool frames from several segments into
/// means and standard deviations (ddof 0) without keeping the frames.
#[derive(Debug, Clone, Default)]
pub struct RowStats {
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
    count: u64,
}

impl RowStats {
    /// Stats for `rows` rows, no frames yet.
    pub fn new(rows: usize) -> Self {
        RowStats {
            sum: vec![0.0; rows],
            sum_sq: vec![0.0; rows],
            count: 0,
        }
    }

    /// Add the frames of `rows` (each slice one row, all of equal length).
    pub fn add(&mut self, rows: &[&[f32]]) {
        debug_assert_eq!(rows.len(), self.sum.len());
        let n = rows.first().map_or(0, |r| r.len());
        for (i, row) in rows.iter().enumerate() {
            let (mut s, mut q) = (0.0f64, 0.0f64);
            for &v in row.iter() {
                let v = v as f64;
                s += v;
                q += v * v;
            }
            self.sum[i] += s;
            self.sum_sq[i] += q;
        }
        self.count += n as u64;
    }

    /// Number of frames added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Append all means, then all stds, to `out` (zeros when no frames).
    pub fn write_mean_std(&self, out: &mut Vec<f32>) {
        let n = self.count.max(1) as f64;
        let means: Vec<f64> = self.sum.iter().map(|s| s / n).collect();
        out.extend(means.iter().map(|&m| finite(m)));
        for (q, m) in self.sum_sq.iter().zip(&means) {
            let var = (q / n - m * m).max(0.0);
            out.push(finite(var.sqrt()));
        }
    }
}

fn finite(v: f64) -> f32 {
    if v.is_finite() {
        v as f32
    } else {
        0.0
    }
}

/// A track's fingerprint: one value per name in [`feature_names`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint {
    /// Values in the order of [`feature_names`]; always finite.
    pub values: Vec<f32>,
}

impl Fingerprint {
    /// Value of the dimension called `name`, if it exists.
    pub fn get(&self, name: &str) -> Option<f32> {
        let i = feature_names().iter().position(|n| n == name)?;
        self.values.get(i).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_librosa_pandas_convention() {
        let names = feature_names();
        assert_eq!(names[0], "chroma_stft_mean[0]");
        assert_eq!(names[11], "chroma_stft_mean[11]");
        assert_eq!(names[12], "chroma_stft_std[0]");
        assert_eq!(names[24], "spectral_centroid_mean");
        assert_eq!(names[25], "spectral_centroid_std");
        assert!(names.contains(&"spectral_contrast_mean[6]".to_string()));
        assert!(names.contains(&"mfcc_std[19]".to_string()));
        let t = names.iter().position(|n| n == "tempo").unwrap();
        assert_eq!(names[t - 1], "mfcc_std[19]");
        assert_eq!(names[t + 1], "zero_crossing_rate_mean");
        assert_eq!(seed_names().len(), 24 + 2 + 2 + 2 + 14 + 40 + 1 + 6);
        assert_eq!(names[SEED_DIMS], "mfcc_delta_std[0]");
        assert_eq!(names[timbre_offset()], "timbre_mean[0]");
        assert_eq!(names.len(), timbre_offset() + timbre::STORED);
        assert_eq!(names.last().unwrap(), "timbre_cov[18,18]");
    }

    #[test]
    fn pooled_stats_match_two_pass_mean_and_population_std() {
        let a = [1.0f32, 2.0, 3.0];
        let b = [4.0f32, 10.0];
        let mut s = RowStats::new(1);
        s.add(&[&a]);
        s.add(&[&b]);
        let mut out = Vec::new();
        s.write_mean_std(&mut out);
        let all = [1.0f64, 2.0, 3.0, 4.0, 10.0];
        let m = all.iter().sum::<f64>() / 5.0;
        let sd = (all.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 5.0).sqrt();
        assert!((out[0] as f64 - m).abs() < 1e-6);
        assert!((out[1] as f64 - sd).abs() < 1e-6);
    }
}

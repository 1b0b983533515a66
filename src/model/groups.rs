//! Feature groups: which fingerprint dimensions describe timbre, harmony,
//! brightness, rhythm and loudness — used to say *why* tracks are similar.

use serde::{Deserialize, Serialize};

/// A musically meaningful group of fingerprint dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// MFCC: the colour of the sound.
    Timbre,
    /// Chroma: pitch classes, key and chords.
    Harmony,
    /// Spectral shape: centroid, bandwidth, roll-off, contrast, flatness, ZCR.
    Brightness,
    /// Tempo.
    Rhythm,
    /// RMS energy.
    Loudness,
}

impl Group {
    /// All groups, in display order.
    pub const ALL: [Group; 5] = [
        Group::Timbre,
        Group::Harmony,
        Group::Brightness,
        Group::Rhythm,
        Group::Loudness,
    ];

    /// Human name, e.g. "timbre (MFCC)".
    pub fn label(self) -> &'static str {
        match self {
            Group::Timbre => "timbre (MFCC)",
            Group::Harmony => "harmony (chroma)",
            Group::Brightness => "brightness (spectral shape)",
            Group::Rhythm => "rhythm (tempo)",
            Group::Loudness => "loudness (RMS)",
        }
    }

    /// The group a fingerprint dimension belongs to, by its name.
    pub fn of(feature: &str) -> Option<Group> {
        let g = if feature.starts_with("mfcc") || feature.starts_with("timbre") {
            Group::Timbre
        } else if feature.starts_with("chroma") {
            Group::Harmony
        } else if feature.starts_with("spectral") || feature.starts_with("zero_crossing") {
            Group::Brightness
        } else if feature.starts_with("tempo") || feature.starts_with("onset") {
            Group::Rhythm
        } else if feature.starts_with("rms") {
            Group::Loudness
        } else {
            return None;
        };
        Some(g)
    }
}

/// How well a query agrees with its neighbours, group by group: 1 − the
/// mean squared z-score difference over the group's dimensions / 2 (two
/// random tracks differ by 2 on average, so 0 ≈ chance and 1 = identical).
/// Best first; groups with no dimensions are left out.
pub fn agreement(names: &[String], query: &[f32], neighbours: &[&[f32]]) -> Vec<(Group, f64)> {
    let mut out: Vec<(Group, f64)> = Group::ALL
        .iter()
        .filter_map(|&g| {
            let dims: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| Group::of(n) == Some(g))
                .map(|(i, _)| i)
                .collect();
            if dims.is_empty() || neighbours.is_empty() {
                return None;
            }
            let mut total = 0.0f64;
            for n in neighbours {
                for &d in &dims {
                    let (a, b) = (
                        query.get(d).copied().unwrap_or(0.0),
                        n.get(d).copied().unwrap_or(0.0),
                    );
                    total += f64::from(a - b).powi(2);
                }
            }
            let msd = total / (dims.len() * neighbours.len()) as f64;
            Some((g, 1.0 - msd / 2.0))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::fingerprint::feature_names;

    #[test]
    fn every_fingerprint_dimension_has_a_group() {
        for n in feature_names() {
            assert!(Group::of(n).is_some(), "{n}");
        }
    }

    #[test]
    fn the_agreeing_group_comes_first() {
        let names: Vec<String> = ["mfcc_mean[0]", "chroma_stft_mean[0]", "tempo"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let q = [1.0f32, 1.0, 1.0];
        let n1 = [1.0f32, -1.0, 0.0];
        let a = agreement(&names, &q, &[&n1]);
        assert_eq!(a[0], (Group::Timbre, 1.0));
        assert_eq!(a[1], (Group::Rhythm, 0.5));
        assert_eq!(a[2], (Group::Harmony, -1.0));
        assert!(agreement(&names, &q, &[]).is_empty());
    }
}

//! The deep-embedding part of the `fused` profile (and the dimension
//! choice of `deep`): z-scored embeddings without their constant
//! dimensions, at unit length, compared by cosine distance.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kernels;
use super::proximity::Spread;
use super::FusedWeights;
use crate::similarity::normalize::Normalizer;

/// Dimensions that vary over the library. About 1080 of musicnn's 1506
/// pooled outputs are dead units (constant for any input): they carry no
/// information and would only cost time.
pub fn live_dims(rows: &[&[f32]]) -> Vec<u32> {
    let len = rows.first().map_or(0, |r| r.len());
    let n = Normalizer::fit(rows, len);
    let live: Vec<u32> = (0..len as u32)
        .filter(|&d| n.std[d as usize] > 0.0)
        .collect();
    // A library of one track (or of identical tracks) varies nowhere:
    // keep every dimension, which then all map to 0.
    if live.is_empty() {
        (0..len as u32).collect()
    } else {
        live
    }
}

/// The library's embeddings, ready to compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepPart {
    /// Kept dimensions of an embedding.
    pub(super) dims: Vec<u32>,
    /// Their statistics over the library.
    pub(super) normalizer: Normalizer,
    /// Unit-length z-scored embeddings, one per track.
    pub unit: Vec<Vec<f32>>,
    /// Each track's cosine-distance spread against the sample.
    pub spread: Vec<Spread>,
    /// Shares of the three distances in `fused`; not stored (always the
    /// product's own, [`FusedWeights::DEFAULT`], but for studies).
    #[serde(skip)]
    pub(super) weights: FusedWeights,
}

impl DeepPart {
    /// The part for `rows` (one embedding per track, all the same length).
    pub fn build(rows: &[&[f32]]) -> DeepPart {
        let dims = live_dims(rows);
        let picked: Vec<Vec<f32>> = rows.iter().map(|r| pick(&dims, r)).collect();
        let refs: Vec<&[f32]> = picked.iter().map(Vec::as_slice).collect();
        let normalizer = Normalizer::fit(&refs, dims.len());
        let unit = picked
            .iter()
            .map(|r| kernels::unit(&normalizer.apply(r)))
            .collect();
        DeepPart {
            dims,
            normalizer,
            unit,
            spread: Vec::new(),
            weights: FusedWeights::DEFAULT,
        }
    }

    /// A new track's unit vector.
    pub fn vector(&self, embedding: &[f32]) -> Vec<f32> {
        kernels::unit(&self.normalizer.apply(&pick(&self.dims, embedding)))
    }

    /// Distance spread of unit vector `u` against the `sample` rows
    /// (leaving out `own`).
    pub fn spread_of(&self, u: &[f32], sample: &[u32], own: Option<usize>) -> Spread {
        Spread::of(
            sample
                .iter()
                .map(|&s| s as usize)
                .filter(|&s| Some(s) != own)
                .filter_map(|s| self.unit.get(s))
                .map(|v| distance(u, v)),
        )
    }

    /// Every track's spread against `sample`.
    pub fn set_spreads(&mut self, sample: &[u32]) {
        self.spread = (0..self.unit.len())
            .into_par_iter()
            .map(|i| self.spread_of(&self.unit[i], sample, Some(i)))
            .collect();
    }
}

/// The values of `row` at `dims` (missing ones count as 0).
fn pick(dims: &[u32], row: &[f32]) -> Vec<f32> {
    dims.iter()
        .map(|&d| row.get(d as usize).copied().unwrap_or(0.0))
        .collect()
}

/// Cosine distance of two unit vectors, 0..2.
#[inline]
pub fn distance(a: &[f32], b: &[f32]) -> f64 {
    (1.0 - f64::from(kernels::dot(a, b))).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_dimensions_are_dropped_and_vectors_are_unit() {
        // Dimension 1 is constant (a dead unit), 0 and 2 vary.
        let rows: Vec<Vec<f32>> = (0..20)
            .map(|i| vec![i as f32, 0.5, ((i * 7) % 5) as f32])
            .collect();
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        assert_eq!(live_dims(&refs), vec![0, 2]);
        let mut part = DeepPart::build(&refs);
        for u in &part.unit {
            let n = kernels::dot(u, u);
            assert!((n - 1.0).abs() < 1e-5, "{n}");
        }
        // A library track placed as a new one lands on itself.
        let v = part.vector(&rows[3]);
        assert!(distance(&v, &part.unit[3]) < 1e-6);
        // Identical tracks: every dimension kept, all zero, distance 1.
        let same = vec![vec![1.0f32, 2.0]; 3];
        let refs: Vec<&[f32]> = same.iter().map(Vec::as_slice).collect();
        assert_eq!(live_dims(&refs), vec![0, 1]);
        part.set_spreads(&[0, 1, 2]);
        assert_eq!(part.spread.len(), 20);
        assert!(part.spread.iter().all(|s| s.mean.is_finite() && s.sd > 0.0));
    }
}

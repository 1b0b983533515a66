//! The deep-embedding part of the `fused` profile (and the dimension
//! choice of `deep`): z-scored embeddings without their constant
//! dimensions, projected on their [`COMPONENTS`] leading principal
//! components ([`super::pca`], fitted on the library when the model is
//! built; a track added later is projected with the same ones), at unit
//! length, compared by cosine distance.

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
    live(rows).0
}

/// [`live_dims`] and their statistics over `rows`.
fn live(rows: &[&[f32]]) -> (Vec<u32>, Normalizer) {
    let len = rows.first().map_or(0, |r| r.len());
    let n = Normalizer::fit(rows, len);
    let live: Vec<u32> = (0..len as u32)
        .filter(|&d| n.std[d as usize] > 0.0)
        .collect();
    // A library of one track (or of identical tracks) varies nowhere:
    // keep every dimension, which then all map to 0.
    let dims = if live.is_empty() {
        (0..len as u32).collect()
    } else {
        live
    };
    let at = |v: &[f64]| dims.iter().map(|&d| v[d as usize]).collect();
    let normalizer = Normalizer {
        mean: at(&n.mean),
        std: at(&n.std),
    };
    (dims, normalizer)
}

/// Principal components the `fused` part keeps of the ≈ 426 live
/// dimensions: the fewest whose `fused` precision@5 stays within 0.005 of
/// all of them on both development corpora (docs/PERFORMANCE.md).
pub const COMPONENTS: usize = 32;

/// The library's embeddings, ready to compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepPart {
    /// Kept dimensions of an embedding.
    pub(super) dims: Vec<u32>,
    /// Their statistics over the library.
    pub(super) normalizer: Normalizer,
    /// The principal directions a z-scored embedding is projected on (unit
    /// rows of `dims.len()` values); none: not projected.
    pub(super) basis: Vec<Vec<f32>>,
    /// Unit-length projected z-scored embeddings, one per track.
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
        Self::build_with(rows, Some(COMPONENTS))
    }

    /// [`DeepPart::build`] keeping `components` principal components
    /// (`None`: every live dimension, not projected; for studies).
    pub fn build_with(rows: &[&[f32]], components: Option<usize>) -> DeepPart {
        let (dims, normalizer) = live(rows);
        let z = |r: &[f32]| normalizer.apply(&pick(&dims, r));
        let basis = match components {
            // Fitted on the sample's z rows alone (the only ones made).
            Some(k) => {
                let picked = super::proximity::sample_of(rows.len(), super::pca::SAMPLE);
                let zs: Vec<Vec<f32>> = picked.iter().map(|&i| z(rows[i as usize])).collect();
                super::pca::components(&zs, dims.len(), k).unwrap_or_default()
            }
            None => Vec::new(),
        };
        let mut part = DeepPart {
            dims,
            normalizer,
            basis,
            unit: Vec::new(),
            spread: Vec::new(),
            weights: FusedWeights::DEFAULT,
        };
        part.unit = rows.par_iter().map(|r| part.vector(r)).collect();
        part
    }

    /// A new track's unit vector (z-scored and projected as the library's
    /// tracks were).
    pub fn vector(&self, embedding: &[f32]) -> Vec<f32> {
        let z = self.normalizer.apply(&pick(&self.dims, embedding));
        if self.basis.is_empty() {
            return kernels::unit(&z);
        }
        let projected: Vec<f32> = self.basis.iter().map(|d| kernels::dot(d, &z)).collect();
        kernels::unit(&projected)
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
    fn embeddings_are_projected_on_their_leading_components() {
        // 40 varying dimensions driven by 3 hidden factors, plus 2 dead
        // ones: 3 components keep every distance, as all 40 do.
        let rows: Vec<Vec<f32>> = (0..200)
            .map(|i| {
                let f = [
                    (i as f32 * 0.618).fract() - 0.5,
                    (i as f32 * 0.377).fract() - 0.5,
                    (i as f32 * 0.291).fract() - 0.5,
                ];
                let mut r: Vec<f32> = (0..40)
                    .map(|d| f[d % 3] * (1.0 + d as f32 * 0.1) + 2.0)
                    .collect();
                r.extend([7.0, -1.0]);
                r
            })
            .collect();
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let full = DeepPart::build_with(&refs, None);
        let reduced = DeepPart::build_with(&refs, Some(3));
        assert_eq!(full.unit[0].len(), 40);
        assert_eq!(reduced.unit[0].len(), 3);
        assert_eq!(reduced.basis.len(), 3);
        for (i, j) in [(0, 1), (5, 150), (42, 199)] {
            let (a, b) = (
                distance(&full.unit[i], &full.unit[j]),
                distance(&reduced.unit[i], &reduced.unit[j]),
            );
            assert!((a - b).abs() < 1e-4, "{i} {j}: {a} vs {b}");
        }
        // A new track is projected with the library's components; the
        // build is the same each time.
        assert_eq!(reduced.vector(&rows[9]), reduced.unit[9]);
        assert_eq!(DeepPart::build_with(&refs, Some(3)), reduced);
    }

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
        let flat = DeepPart::build(&refs);
        assert!(flat.unit.iter().flatten().all(|&v| v == 0.0));
        part.set_spreads(&[0, 1, 2]);
        assert_eq!(part.spread.len(), 20);
        assert!(part.spread.iter().all(|s| s.mean.is_finite() && s.sd > 0.0));
    }
}

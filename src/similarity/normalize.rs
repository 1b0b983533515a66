//! Z-score normalisation: per dimension mean and std (ddof 0) over the
//! library, kept so a query is scaled exactly like the library was. Without
//! it the Hz-valued dimensions (centroid, roll-off) drown everything else.

use serde::{Deserialize, Serialize};

/// Per-dimension statistics of a library's fingerprints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    /// Mean per dimension.
    pub mean: Vec<f64>,
    /// Standard deviation per dimension; 0 for constant dimensions.
    pub std: Vec<f64>,
}

/// Below this a dimension counts as constant and maps to 0, so it neither
/// divides by zero nor amplifies rounding noise into a "feature".
const MIN_STD: f64 = 1e-9;

impl Normalizer {
    /// Fit to `rows` (all of length `dims`); no rows gives an identity-free
    /// normaliser that maps everything to 0.
    pub fn fit(rows: &[&[f32]], dims: usize) -> Self {
        let n = rows.len() as f64;
        let mut mean = vec![0.0f64; dims];
        let mut var = vec![0.0f64; dims];
        if rows.is_empty() {
            return Normalizer { mean, std: var };
        }
        for r in rows {
            for (m, &v) in mean.iter_mut().zip(r.iter()) {
                *m += f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        for r in rows {
            for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(r.iter()) {
                *s += (f64::from(v) - m).powi(2);
            }
        }
        let std = var
            .into_iter()
            .zip(&mean)
            .map(|(s, &m)| {
                let sd = (s / n).sqrt();
                // Relative test too: a dimension of large constant values
                // (tempo 120.0 everywhere) has rounding-size spread only.
                if sd > MIN_STD * (1.0 + m.abs()) {
                    sd
                } else {
                    0.0
                }
            })
            .collect();
        Normalizer { mean, std }
    }

    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        self.mean.len()
    }

    /// Z-score one vector (missing trailing values count as the mean).
    pub fn apply(&self, v: &[f32]) -> Vec<f32> {
        self.mean
            .iter()
            .zip(&self.std)
            .enumerate()
            .map(|(i, (&m, &s))| match v.get(i) {
                Some(&x) if s > 0.0 && x.is_finite() => ((f64::from(x) - m) / s) as f32,
                _ => 0.0,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zscores_and_tames_constant_dimensions() {
        let rows: Vec<Vec<f32>> = vec![vec![1.0, 120.0], vec![3.0, 120.0], vec![5.0, 120.0]];
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let n = Normalizer::fit(&refs, 2);
        assert_eq!(n.mean, vec![3.0, 120.0]);
        assert_eq!(n.std[1], 0.0);
        let z = n.apply(&[5.0, 999.0]);
        assert!((z[0] - 1.224_744_9).abs() < 1e-6, "{z:?}");
        assert_eq!(z[1], 0.0);
        assert_eq!(n.apply(&[f32::NAN]), vec![0.0, 0.0]);
        let empty = Normalizer::fit(&[], 3);
        assert_eq!(empty.apply(&[1.0, 2.0, 3.0]), vec![0.0; 3]);
    }
}

//! The timbre model of a track (the musly approach): one Gaussian over the
//! frames' MFCC 1–19 (MFCC 0, loudness, is left out), i.e. their mean and
//! full covariance. Accumulated from running sums so frames from several
//! windows pool without being kept.

use super::Matrix;

/// MFCC rows modelled (1..=19).
pub const DIMS: usize = 19;
/// Stored values per track: the mean, then the covariance's upper
/// triangle row by row (i ≤ j).
pub const STORED: usize = DIMS + DIMS * (DIMS + 1) / 2;

/// Running sums for the Gaussian.
#[derive(Debug, Clone)]
pub struct GaussianStats {
    sum: [f64; DIMS],
    /// Σ xᵢxⱼ, full square (the symmetric half is written at the end).
    outer: Vec<f64>,
    count: u64,
}

impl Default for GaussianStats {
    fn default() -> Self {
        Self::new()
    }
}

impl GaussianStats {
    /// No frames yet.
    pub fn new() -> Self {
        GaussianStats {
            sum: [0.0; DIMS],
            outer: vec![0.0; DIMS * DIMS],
            count: 0,
        }
    }

    /// Add every frame of an MFCC matrix (20 × frames).
    pub fn add(&mut self, mfcc: &Matrix) {
        if mfcc.rows < DIMS + 1 {
            return;
        }
        let mut x = [0.0f64; DIMS];
        for t in 0..mfcc.cols {
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = mfcc.get(i + 1, t) as f64;
            }
            for i in 0..DIMS {
                self.sum[i] += x[i];
                let row = &mut self.outer[i * DIMS..(i + 1) * DIMS];
                for j in i..DIMS {
                    row[j] += x[i] * x[j];
                }
            }
        }
        self.count += mfcc.cols as u64;
    }

    /// Frames added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Append the mean and the population covariance's upper triangle
    /// ([`STORED`] values, zeros when no frames; always finite).
    pub fn write(&self, out: &mut Vec<f32>) {
        let n = self.count.max(1) as f64;
        let mean: Vec<f64> = self.sum.iter().map(|s| s / n).collect();
        out.extend(mean.iter().map(|&m| finite(m)));
        for i in 0..DIMS {
            for j in i..DIMS {
                let c = self.outer[i * DIMS + j] / n - mean[i] * mean[j];
                // Rounding can make a zero variance slightly negative.
                let c = if i == j { c.max(0.0) } else { c };
                out.push(finite(c));
            }
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

/// Index of covariance entry (i, j), i ≤ j, within the upper triangle.
pub fn tri_index(i: usize, j: usize) -> usize {
    let (i, j) = if i <= j { (i, j) } else { (j, i) };
    i * DIMS - i * (i + 1) / 2 + j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_covariance_match_the_two_pass_definition() {
        let frames = 50;
        let mut m = Matrix::zeros(20, frames);
        for t in 0..frames {
            for r in 0..20 {
                let v = ((t * (r + 3)) % 17) as f32 * 0.5 + r as f32;
                m.set(r, t, v);
            }
        }
        let mut g = GaussianStats::new();
        // Two halves pooled must equal the whole.
        let half = |lo: usize, hi: usize| {
            let mut h = Matrix::zeros(20, hi - lo);
            for r in 0..20 {
                for t in lo..hi {
                    h.set(r, t - lo, m.get(r, t));
                }
            }
            h
        };
        g.add(&half(0, 20));
        g.add(&half(20, frames));
        let mut out = Vec::new();
        g.write(&mut out);
        assert_eq!(out.len(), STORED);
        let col = |i: usize| -> Vec<f64> { (0..frames).map(|t| m.get(i + 1, t) as f64).collect() };
        for i in 0..DIMS {
            let xi = col(i);
            let mi = xi.iter().sum::<f64>() / frames as f64;
            assert!((out[i] as f64 - mi).abs() < 1e-4);
            for j in i..DIMS {
                let xj = col(j);
                let mj = xj.iter().sum::<f64>() / frames as f64;
                let c = xi
                    .iter()
                    .zip(&xj)
                    .map(|(a, b)| (a - mi) * (b - mj))
                    .sum::<f64>()
                    / frames as f64;
                let got = out[DIMS + tri_index(i, j)] as f64;
                assert!(
                    (got - c).abs() < 1e-3 * (1.0 + c.abs()),
                    "({i},{j}) {got} vs {c}"
                );
            }
        }
    }

    #[test]
    fn no_frames_and_constant_frames_are_finite_zeros() {
        let mut out = Vec::new();
        GaussianStats::new().write(&mut out);
        assert!(out.iter().all(|&v| v == 0.0));
        let mut g = GaussianStats::new();
        let mut m = Matrix::zeros(20, 10);
        m.data.iter_mut().for_each(|v| *v = 3.0);
        g.add(&m);
        let mut out = Vec::new();
        g.write(&mut out);
        assert!(out[..DIMS].iter().all(|&v| v == 3.0));
        assert!(out[DIMS..].iter().all(|&v| v.abs() < 1e-9));
        assert_eq!(tri_index(0, 0), 0);
        assert_eq!(tri_index(0, 18), 18);
        assert_eq!(tri_index(1, 1), 19);
        assert_eq!(tri_index(18, 18), STORED - DIMS - 1);
        assert_eq!(tri_index(5, 2), tri_index(2, 5));
    }
}

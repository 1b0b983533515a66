//! A synthetic library's fingerprints and deep embeddings, shared by the
//! model bench and `examples/synthetic_library.rs` (included with
//! `#[path = ...] mod library;`): 20 Gaussian groups in the descriptor
//! dimensions, a timbre Gaussian per track, a stand-in musicnn embedding.

use musim::features::fingerprint::timbre_offset;
use musim::features::timbre::{tri_index, DIMS as TD, STORED};

/// Dimensions of the descriptor part (before the timbre Gaussian).
pub const DIMS: usize = timbre_offset();

/// Deterministic pseudo-random numbers in −0.5..0.5.
pub fn rng(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
    }
}

/// Full index rows, one per track, made one at a time (a library of
/// 100 000 need not be held twice): track `i` belongs to group `i % 20`.
pub struct Rows {
    r: Box<dyn FnMut() -> f32>,
    centres: Vec<Vec<f32>>,
}

impl Rows {
    /// The rows of seed 7.
    pub fn new() -> Rows {
        let mut r = rng(7);
        let centres = (0..20)
            .map(|_| (0..DIMS + TD).map(|_| r() * 6.0).collect())
            .collect();
        Rows {
            r: Box::new(r),
            centres,
        }
    }

    /// The next row, of group `group`: descriptors around the group's
    /// centre, then a timbre Gaussian (group mean + noise, positive
    /// variances, mild correlations).
    pub fn row(&mut self, group: usize) -> Vec<f32> {
        let r = &mut self.r;
        let c = &self.centres[group % self.centres.len()];
        let mut row: Vec<f32> = c[..DIMS].iter().map(|v| v + r() * 4.0).collect();
        row.extend(c[DIMS..].iter().map(|v| 10.0 * v + r() * 8.0));
        let mut cov = vec![0.0f32; STORED - TD];
        for i in 0..TD {
            cov[tri_index(i, i)] = 20.0 + 10.0 * (c[DIMS + i].abs() + r());
            if i + 1 < TD {
                cov[tri_index(i, i + 1)] = 3.0 * r();
            }
        }
        row.extend(cov);
        row
    }
}

/// A stand-in musicnn embedding of a row: 426 live units that follow the
/// row (as many as the real network has) and 1080 dead ones, constant.
pub fn embedding(row: &[f32]) -> Vec<f32> {
    let mut e: Vec<f32> = (0..426)
        .map(|d| (0.3 * row[d % DIMS] + 0.01 * d as f32).sin())
        .collect();
    e.extend(std::iter::repeat_n(0.25f32, 1080));
    e
}

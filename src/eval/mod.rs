//! Evaluation metrics for reports and model selection. Pure functions over
//! plain data, checked against scikit-learn 1.9 (`tools/eval_reference.py`
//! writes the fixtures `tests/eval_metrics.rs` compares with).
//!
//! - [`classify`]: confusion matrix, per-class precision/recall/F1,
//!   accuracy, balanced accuracy, macro/weighted F1, chance levels.
//! - [`neighbours`]: leave-one-out k-nearest-neighbour predictions and
//!   accuracy, precision@k, chance precision@k.
//! - [`cluster`]: clusters against labels (NMI, ARI, purity, with
//!   permutation chance levels) and the silhouette of a clustering.
//! - [`embedding`]: trustworthiness of a low-dimensional map.
//! - [`grouped`]: k-NN scores under artist- (group-) disjoint folds.
//! - [`bootstrap`]: a paired cluster bootstrap interval on a difference
//!   of per-query scores.
//!
//! Conventions shared by every function here:
//! - labels and cluster ids are `usize`; any values will do (they need not
//!   be dense or start at 0) except where a function takes `n_classes`;
//! - rows are `&[Vec<f32>]` of one length (if they differ, see the function);
//! - when two parallel slices differ in length, only their common prefix is
//!   used;
//! - no input panics: empty input, one row, one class and `k ≥ n` all give
//!   a defined, documented value.

pub mod bootstrap;
pub mod classify;
pub mod cluster;
pub mod embedding;
pub mod grouped;
pub mod neighbours;

pub use classify::{
    accuracy, balanced_accuracy, chance_accuracy, chance_balanced_accuracy, class_reports,
    confusion, macro_f1, weighted_f1, ClassReport, Classification,
};
pub use cluster::{ari, chance_ari, chance_nmi, nmi, purity, silhouette, CHANCE_SHUFFLES};
pub use embedding::trustworthiness;
pub use neighbours::{
    chance_precision_at_k, knn_loo, knn_loo_accuracy, knn_loo_predictions, knn_loo_with,
    precision_at_k_loo, LooNeighbours, PrecisionAtK, NO_VOTE,
};

/// Distance between two z-scored vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    /// 1 − cosine similarity.
    Cosine,
    /// Euclidean.
    Euclidean,
}

/// Z-score each column over the rows (mean 0, std 1, ddof 0). Constant
/// columns become 0 rather than NaN, so they simply do not count.
pub fn zscore(rows: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let Some(dims) = rows.first().map(Vec::len) else {
        return Vec::new();
    };
    let n = rows.len() as f64;
    let mut mean = vec![0.0f64; dims];
    let mut var = vec![0.0f64; dims];
    for r in rows {
        for (m, &v) in mean.iter_mut().zip(r) {
            *m += f64::from(v) / n;
        }
    }
    for r in rows {
        for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(r) {
            *s += (f64::from(v) - m).powi(2) / n;
        }
    }
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(mean.iter().zip(&var))
                .map(|(&v, (&m, &s))| {
                    let sd = s.sqrt();
                    if sd > 1e-12 {
                        ((f64::from(v) - m) / sd) as f32
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}

/// The reference distance of [`Distance`] between two rows: the
/// coordinate difference is taken in f32, everything else in f64, summed
/// in coordinate order. The fast kernels in [`neighbours`] reproduce it bit
/// for bit.
pub(crate) fn distance(a: &[f32], b: &[f32], d: Distance) -> f64 {
    match d {
        Distance::Euclidean => a
            .iter()
            .zip(b)
            .map(|(&x, &y)| f64::from(x - y).powi(2))
            .sum::<f64>()
            .sqrt(),
        Distance::Cosine => {
            let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
            for (&x, &y) in a.iter().zip(b) {
                dot += f64::from(x) * f64::from(y);
                na += f64::from(x) * f64::from(x);
                nb += f64::from(y) * f64::from(y);
            }
            if na == 0.0 || nb == 0.0 {
                1.0
            } else {
                1.0 - dot / (na.sqrt() * nb.sqrt())
            }
        }
    }
}

/// Map arbitrary label values to dense ids `0..m` in ascending order of
/// value; returns the ids and `m`, the number of distinct values.
pub(crate) fn dense_ids(labels: &[usize]) -> (Vec<usize>, usize) {
    let mut values = labels.to_vec();
    values.sort_unstable();
    values.dedup();
    let ids = labels
        .iter()
        .map(|l| values.binary_search(l).unwrap_or(0))
        .collect();
    (ids, values.len())
}

/// How many rows of each dense id `0..m`.
pub(crate) fn counts(ids: &[usize], m: usize) -> Vec<usize> {
    let mut c = vec![0usize; m];
    for &i in ids {
        if let Some(x) = c.get_mut(i) {
            *x += 1;
        }
    }
    c
}

/// Rows as one contiguous f64 matrix of `dims` = the shortest row's length
/// (coordinates beyond it are ignored). Used by the exact-Euclidean metrics.
pub(crate) fn dense_f64<R: AsRef<[f32]>>(rows: &[R]) -> (Vec<f64>, usize) {
    let dims = rows.iter().map(|r| r.as_ref().len()).min().unwrap_or(0);
    let mut m = Vec::with_capacity(rows.len() * dims);
    for r in rows {
        m.extend(r.as_ref()[..dims].iter().map(|&v| f64::from(v)));
    }
    (m, dims)
}

/// Squared Euclidean distance of two f64 rows (four partial sums, so the
/// loop vectorises; not bit-compatible with [`distance`], and need not be).
pub(crate) fn sq_euclidean(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            let d = x[l] - y[l];
            acc[l] += d * d;
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += (x - y) * (x - y);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// SplitMix64: the small, fully specified generator behind every seeded
/// choice in this module (silhouette subsamples, permutation chance levels),
/// so `tools/eval_reference.py` can reproduce them exactly.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-ish integer in `0..bound` (multiply-shift; `bound` ≥ 1).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }

    /// Fisher–Yates shuffle, from the last element down: element `i` swaps
    /// with `below(i + 1)`.
    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_clusters_score_one_and_zscore_is_safe() {
        let rows: Vec<Vec<f32>> = (0..20)
            .map(|i| vec![(i / 10) as f32 * 10.0 + (i % 10) as f32 * 0.1, 5.0])
            .collect();
        let labels: Vec<usize> = (0..20).map(|i| i / 10).collect();
        let z = zscore(&rows);
        assert!(z.iter().all(|r| r[1] == 0.0 && r[0].is_finite()));
        assert_eq!(knn_loo_accuracy(&z, &labels, 5, Distance::Euclidean), 1.0);
        let shuffled: Vec<usize> = (0..20).map(|i| i % 2).collect();
        assert!(knn_loo_accuracy(&z, &shuffled, 5, Distance::Euclidean) < 0.5);
        assert_eq!(
            knn_loo_accuracy::<usize>(&[], &[], 5, Distance::Cosine),
            0.0
        );
    }

    #[test]
    fn dense_ids_are_sorted_by_value() {
        let (ids, m) = dense_ids(&[7, 3, usize::MAX, 3]);
        assert_eq!((ids, m), (vec![1, 0, 2, 0], 3));
        assert_eq!(dense_ids(&[]), (vec![], 0));
    }

    #[test]
    fn splitmix_matches_the_reference_stream() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference code).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut v: Vec<usize> = (0..10).collect();
        SplitMix64::new(3).shuffle(&mut v);
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..10).collect::<Vec<_>>());
        assert_ne!(v, s);
    }

    #[test]
    fn sq_euclidean_handles_any_length() {
        for dims in 0..11 {
            let a: Vec<f64> = (0..dims).map(|i| i as f64).collect();
            let b: Vec<f64> = (0..dims).map(|i| 2.0 * i as f64).collect();
            let want: f64 = (0..dims).map(|i| (i * i) as f64).sum();
            assert_eq!(sq_euclidean(&a, &b), want);
        }
    }
}

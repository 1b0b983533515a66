//! K-Means (linfa-clustering, k-means++ init, best of several seeded runs)
//! with the guards linfa leaves to the caller: no rows, fewer distinct rows
//! than clusters, and k of 0 or 1.

use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use ndarray::Array2;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;

/// Independent k-means++ starts; the run with the lowest inertia is kept.
const RUNS: usize = 4;

/// A clustering of the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Clusters {
    /// Cluster of each row, `0..k`.
    pub assignment: Vec<u32>,
    /// Centroid of each cluster (in the rows' space).
    pub centroids: Vec<Vec<f32>>,
}

impl Clusters {
    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.centroids.len()
    }
}

/// Cluster `rows` (all of one length) into at most `k` clusters with a
/// fixed `seed`. Fewer clusters come back when there are fewer distinct
/// rows than `k`; no rows give no clusters.
pub fn kmeans(rows: &[Vec<f32>], k: usize, seed: u64) -> Clusters {
    let n = rows.len();
    let dims = rows.first().map_or(0, Vec::len);
    let k = k.min(distinct_rows(rows, k + 1));
    if n == 0 || k == 0 {
        return Clusters {
            assignment: vec![0; n],
            centroids: if n == 0 {
                Vec::new()
            } else {
                vec![mean(rows, dims)]
            },
        };
    }
    if k == 1 {
        return Clusters {
            assignment: vec![0; n],
            centroids: vec![mean(rows, dims)],
        };
    }
    let flat: Vec<f64> = rows.iter().flatten().map(|&v| f64::from(v)).collect();
    let Ok(data) = Array2::from_shape_vec((n, dims), flat) else {
        // Ragged rows cannot come from one index; treat as one cluster.
        return Clusters {
            assignment: vec![0; n],
            centroids: vec![mean(rows, dims)],
        };
    };
    // One copy of the data, lent to both the fit and the prediction (a
    // clone for each was 2 × n × dims × 8 bytes: 680 MB at 100 000 tracks
    // of the deep profile).
    let dataset = DatasetBase::from(data);
    let params = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(RUNS)
        .max_n_iterations(300)
        .tolerance(1e-6);
    let Ok(model) = params.fit(&dataset) else {
        return Clusters {
            assignment: vec![0; n],
            centroids: vec![mean(rows, dims)],
        };
    };
    let assignment: Vec<u32> = model
        .predict(dataset.records())
        .iter()
        .map(|&c| c as u32)
        .collect();
    let centroids = model
        .centroids()
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| v as f32).collect())
        .collect();
    relabel(Clusters {
        assignment,
        centroids,
    })
}

/// [`kmeans`] fitted on at most `sample` rows (a seeded random sample;
/// all rows when there are no more), then every row assigned to its
/// nearest centroid and each centroid moved to its members' mean: a
/// 100 000-track library clusters in the time of a 20 000-track one, and
/// a library within the sample gets exactly [`kmeans`]'s clustering.
pub fn kmeans_sampled(rows: &[Vec<f32>], k: usize, seed: u64, sample: usize) -> Clusters {
    let n = rows.len();
    if n <= sample.max(1) {
        return kmeans(rows, k, seed);
    }
    let mut chosen: Vec<usize> = (0..n).collect();
    crate::eval::SplitMix64::new(seed).shuffle(&mut chosen);
    chosen.truncate(sample.max(1));
    chosen.sort_unstable();
    let picked: Vec<Vec<f32>> = chosen.iter().map(|&i| rows[i].clone()).collect();
    let fitted = kmeans(&picked, k, seed);
    drop(picked);
    let assignment: Vec<u32> = rows
        .par_iter()
        .map(|r| nearest_centroid(&fitted.centroids, r) as u32)
        .collect();
    let dims = rows.first().map_or(0, Vec::len);
    let mut sums = vec![vec![0.0f64; dims]; fitted.k()];
    let mut sizes = vec![0usize; fitted.k()];
    for (r, &a) in rows.iter().zip(&assignment) {
        sizes[a as usize] += 1;
        for (s, &v) in sums[a as usize].iter_mut().zip(r) {
            *s += f64::from(v);
        }
    }
    let centroids = sums
        .iter()
        .zip(&sizes)
        .zip(&fitted.centroids)
        .map(|((s, &m), old)| {
            if m == 0 {
                old.clone()
            } else {
                s.iter().map(|v| (v / m as f64) as f32).collect()
            }
        })
        .collect();
    relabel(Clusters {
        assignment,
        centroids,
    })
}

/// Index of the centroid nearest to `v` (squared Euclidean; ties to the
/// lower index); 0 when there are no centroids.
pub fn nearest_centroid(centroids: &[Vec<f32>], v: &[f32]) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (i, c) in centroids.iter().enumerate() {
        let d: f64 = c
            .iter()
            .zip(v)
            .map(|(&a, &b)| f64::from(a - b).powi(2))
            .sum();
        if d < best.0 {
            best = (d, i);
        }
    }
    best.1
}

/// Number the clusters by decreasing size (ties by first member), drop
/// empty ones, so output does not depend on linfa's internal order.
fn relabel(c: Clusters) -> Clusters {
    let k = c.centroids.len();
    let mut size = vec![0usize; k];
    let mut first = vec![usize::MAX; k];
    for (i, &a) in c.assignment.iter().enumerate() {
        let a = a as usize;
        if a < k {
            size[a] += 1;
            first[a] = first[a].min(i);
        }
    }
    let mut order: Vec<usize> = (0..k).filter(|&j| size[j] > 0).collect();
    order.sort_by(|&a, &b| size[b].cmp(&size[a]).then(first[a].cmp(&first[b])));
    let mut new_id = vec![0u32; k];
    for (new, &old) in order.iter().enumerate() {
        new_id[old] = new as u32;
    }
    Clusters {
        assignment: c
            .assignment
            .iter()
            .map(|&a| new_id.get(a as usize).copied().unwrap_or(0))
            .collect(),
        centroids: order.iter().map(|&j| c.centroids[j].clone()).collect(),
    }
}

/// Number of distinct rows, counting no further than `cap`.
fn distinct_rows(rows: &[Vec<f32>], cap: usize) -> usize {
    let mut seen: Vec<&Vec<f32>> = Vec::new();
    for r in rows {
        if !seen.contains(&r) {
            seen.push(r);
            if seen.len() >= cap {
                break;
            }
        }
    }
    seen.len()
}

fn mean(rows: &[Vec<f32>], dims: usize) -> Vec<f32> {
    let mut m = vec![0.0f64; dims];
    for r in rows {
        for (a, &v) in m.iter_mut().zip(r) {
            *a += f64::from(v);
        }
    }
    let n = rows.len().max(1) as f64;
    m.into_iter().map(|v| (v / n) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Vec<Vec<f32>> {
        (0..60)
            .map(|i| {
                let c = (i % 3) as f32 * 10.0;
                let j = (i / 3) as f32 * 0.01;
                vec![c + j, -c + j * 0.5, j]
            })
            .collect()
    }

    #[test]
    fn finds_separated_blobs_reproducibly() {
        let rows = blobs();
        let a = kmeans(&rows, 3, 7);
        assert_eq!(a.k(), 3);
        for i in 0..60 {
            assert_eq!(a.assignment[i], a.assignment[i % 3], "row {i}");
        }
        assert_eq!(a, kmeans(&rows, 3, 7));
        assert_eq!(
            nearest_centroid(&a.centroids, &rows[4]),
            a.assignment[4] as usize
        );
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert_eq!(kmeans(&[], 5, 1).k(), 0);
        let one = kmeans(&[vec![1.0, 2.0]], 5, 1);
        assert_eq!((one.k(), one.assignment.clone()), (1, vec![0]));
        let same = vec![vec![3.0f32, 3.0]; 10];
        let s = kmeans(&same, 4, 1);
        assert_eq!(s.k(), 1);
        assert_eq!(s.centroids[0], vec![3.0, 3.0]);
        let two = kmeans(&[vec![0.0], vec![1.0], vec![1.0]], 8, 1);
        assert_eq!(two.k(), 2);
        assert_eq!(two.assignment, vec![1, 0, 0]);
        assert_eq!(nearest_centroid(&[], &[1.0]), 0);
    }

    #[test]
    fn a_sample_finds_the_same_blobs() {
        let rows = blobs();
        // Within the sample: exactly the full clustering.
        assert_eq!(kmeans_sampled(&rows, 3, 7, 60), kmeans(&rows, 3, 7));
        // A third of the rows: the same partition, centroids the blobs' means.
        let s = kmeans_sampled(&rows, 3, 7, 20);
        assert_eq!(s.k(), 3);
        for i in 0..60 {
            assert_eq!(s.assignment[i], s.assignment[i % 3], "row {i}");
        }
        let full = kmeans(&rows, 3, 7);
        for (a, b) in s
            .centroids
            .iter()
            .flatten()
            .zip(full.centroids.iter().flatten())
        {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        assert_eq!(s, kmeans_sampled(&rows, 3, 7, 20));
    }
}

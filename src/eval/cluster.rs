//! A clustering against the true labels (NMI, ARI, purity, and their
//! chance levels by permutation) and on its own (silhouette).
//!
//! NMI and ARI follow scikit-learn 1.9 formula for formula, including its
//! special cases: two empty labellings, or two labellings of one group
//! each, agree perfectly (1.0).

use rayon::prelude::*;

use super::{counts, dense_f64, dense_ids, sq_euclidean, SplitMix64};

/// Number of shuffles [`chance_nmi`] and [`chance_ari`] are meant to be
/// called with in reports.
pub const CHANCE_SHUFFLES: usize = 20;

/// The non-zero cells of the contingency table of two labellings (common
/// prefix), plus the row (truth) and column (cluster) sums.
struct Contingency {
    n: usize,
    cells: Vec<usize>,
    cell_rows: Vec<usize>,
    cell_cols: Vec<usize>,
    rows: Vec<usize>,
    cols: Vec<usize>,
}

impl Contingency {
    fn new(truth: &[usize], clusters: &[usize]) -> Self {
        let n = truth.len().min(clusters.len());
        let (t, mt) = dense_ids(&truth[..n]);
        let (c, mc) = dense_ids(&clusters[..n]);
        let mut pairs: Vec<(usize, usize)> = t.iter().copied().zip(c.iter().copied()).collect();
        pairs.sort_unstable();
        let (mut cells, mut cell_rows, mut cell_cols) = (Vec::new(), Vec::new(), Vec::new());
        for (idx, &p) in pairs.iter().enumerate() {
            if idx > 0 && pairs[idx - 1] == p {
                if let Some(last) = cells.last_mut() {
                    *last += 1;
                }
            } else {
                cells.push(1);
                cell_rows.push(p.0);
                cell_cols.push(p.1);
            }
        }
        Self {
            n,
            cells,
            cell_rows,
            cell_cols,
            rows: counts(&t, mt),
            cols: counts(&c, mc),
        }
    }
}

/// Entropy (nats) of a labelling from its group sizes, as sklearn's
/// `_entropy`.
fn entropy(sizes: &[usize]) -> f64 {
    if sizes.len() <= 1 {
        return 0.0;
    }
    let total = sizes.iter().sum::<usize>() as f64;
    let ln_total = total.ln();
    -sizes
        .iter()
        .map(|&s| (s as f64 / total) * ((s as f64).ln() - ln_total))
        .sum::<f64>()
}

/// Normalised mutual information of a clustering against the labels
/// (sklearn `normalized_mutual_info_score`, `average_method="arithmetic"`):
/// I(T; C) / ((H(T) + H(C)) / 2), in nats, between 0 and 1. Symmetric.
/// 1 when both labellings are empty or both have a single group; 0 when
/// only one of them has a single group.
pub fn nmi(truth: &[usize], clusters: &[usize]) -> f64 {
    let c = Contingency::new(truth, clusters);
    let (kt, kc) = (c.rows.len(), c.cols.len());
    if (kt == 1 && kc == 1) || (kt == 0 && kc == 0) {
        return 1.0;
    }
    if kt == 1 || kc == 1 {
        return 0.0;
    }
    // sklearn's mutual_info_score, term by term.
    let total = c.n as f64;
    // log(pi.sum()) and log(pj.sum()) in sklearn: both are ln(n).
    let ln_total = total.ln();
    let mut mi = 0.0f64;
    for (idx, &cell) in c.cells.iter().enumerate() {
        let nz = cell as f64;
        let share = nz / total;
        let outer = (c.rows[c.cell_rows[idx]] as u128 * c.cols[c.cell_cols[idx]] as u128) as f64;
        let log_outer = -outer.ln() + ln_total + ln_total;
        let term = share * (nz.ln() - ln_total) + share * log_outer;
        if term.abs() >= f64::EPSILON {
            mi += term;
        }
    }
    let mi = mi.max(0.0);
    if mi == 0.0 {
        return 0.0;
    }
    mi / ((entropy(&c.rows) + entropy(&c.cols)) / 2.0)
}

/// Adjusted Rand index of a clustering against the labels (sklearn
/// `adjusted_rand_score`): pair agreement corrected for chance, 1 for
/// identical partitions, about 0 for random ones, down to −0.5. 1 for empty
/// input and whenever no pair disagrees (e.g. one row).
pub fn ari(truth: &[usize], clusters: &[usize]) -> f64 {
    let c = Contingency::new(truth, clusters);
    // sklearn's pair_confusion_matrix (ordered pairs), exact in i128.
    let n = c.n as i128;
    let sum_squares: i128 = c.cells.iter().map(|&x| x as i128 * x as i128).sum();
    let by_cols: i128 = (0..c.cells.len())
        .map(|i| c.cells[i] as i128 * c.cols[c.cell_cols[i]] as i128)
        .sum();
    let by_rows: i128 = (0..c.cells.len())
        .map(|i| c.cells[i] as i128 * c.rows[c.cell_rows[i]] as i128)
        .sum();
    let tp = sum_squares - n;
    let fp = by_cols - sum_squares;
    let fn_ = by_rows - sum_squares;
    let tn = n * n - fp - fn_ - sum_squares;
    if fn_ == 0 && fp == 0 {
        return 1.0;
    }
    let num = (tp * tn - fn_ * fp) as f64 * 2.0;
    let den = ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn)) as f64;
    num / den
}

/// Purity: each cluster votes for its most frequent true label; the share
/// of rows that carry their cluster's label. In (0, 1]; 0 for empty input.
/// Rewards many small clusters (all singletons score 1), so read it next to
/// NMI/ARI.
pub fn purity(truth: &[usize], clusters: &[usize]) -> f64 {
    let c = Contingency::new(truth, clusters);
    if c.n == 0 {
        return 0.0;
    }
    let mut best = vec![0usize; c.cols.len()];
    for (idx, &cell) in c.cells.iter().enumerate() {
        let b = &mut best[c.cell_cols[idx]];
        *b = (*b).max(cell);
    }
    best.iter().sum::<usize>() as f64 / c.n as f64
}

/// Mean of `metric(truth, shuffled clusters)` over `shuffles` seeded
/// Fisher–Yates shuffles (one [`SplitMix64`] stream from `seed`, each
/// shuffle starting from the original order).
fn permutation_mean(
    truth: &[usize],
    clusters: &[usize],
    shuffles: usize,
    seed: u64,
    metric: fn(&[usize], &[usize]) -> f64,
) -> f64 {
    if shuffles == 0 {
        return 0.0;
    }
    let n = truth.len().min(clusters.len());
    let mut rng = SplitMix64::new(seed);
    let mut sum = 0.0;
    for _ in 0..shuffles {
        let mut c = clusters[..n].to_vec();
        rng.shuffle(&mut c);
        sum += metric(&truth[..n], &c);
    }
    sum / shuffles as f64
}

/// Chance level of [`nmi`]: its mean over `shuffles` (use
/// [`CHANCE_SHUFFLES`]) random permutations of the cluster ids, which keep
/// the cluster sizes but break any link to the labels. Deterministic for a
/// given `seed` (SplitMix64 + Fisher–Yates, reproduced by
/// `tools/eval_reference.py`). Not 0: NMI of unrelated partitions grows
/// with the number of clusters per row. 0 when `shuffles == 0`.
pub fn chance_nmi(truth: &[usize], clusters: &[usize], shuffles: usize, seed: u64) -> f64 {
    permutation_mean(truth, clusters, shuffles, seed, nmi)
}

/// Chance level of [`ari`], by the same permutations as [`chance_nmi`]
/// (ARI is adjusted for chance, so this is close to 0; it shows the noise
/// level for the sizes at hand).
pub fn chance_ari(truth: &[usize], clusters: &[usize], shuffles: usize, seed: u64) -> f64 {
    permutation_mean(truth, clusters, shuffles, seed, ari)
}

/// Mean silhouette coefficient of a clustering, Euclidean, as sklearn's
/// `silhouette_score`: per row, a = mean distance to the rest of its
/// cluster, b = the smallest mean distance to another cluster, s = (b − a)
/// / max(a, b); a row alone in its cluster, or with a = b = 0, scores 0.
/// Between −1 and 1; 0 when there are fewer than two clusters (sklearn
/// raises) and for empty input.
///
/// `sample = Some(m)` with more than `m` rows scores a subsample of `m` rows
/// (distances and clusters both restricted to it), like sklearn's
/// `sample_size`: the first `m` of a seeded permutation of the rows
/// (SplitMix64 + Fisher–Yates from `seed`), so it is deterministic; the
/// subset differs from sklearn's. Cost: about n² (or m²) distances, in
/// parallel. Distances are exact f64 Euclidean over the rows' f32 values,
/// on the first d coordinates, d = the shortest row's length.
pub fn silhouette(rows: &[Vec<f32>], clusters: &[usize], sample: Option<usize>, seed: u64) -> f64 {
    let n = rows.len().min(clusters.len());
    let chosen: Vec<usize> = match sample {
        Some(m) if n > m => {
            let mut idx: Vec<usize> = (0..n).collect();
            SplitMix64::new(seed).shuffle(&mut idx);
            idx.truncate(m);
            idx
        }
        _ => (0..n).collect(),
    };
    let sub_rows: Vec<&[f32]> = chosen.iter().map(|&i| rows[i].as_slice()).collect();
    let sub_clusters: Vec<usize> = chosen.iter().map(|&i| clusters[i]).collect();
    silhouette_exact(&sub_rows, &sub_clusters)
}

fn silhouette_exact(rows: &[&[f32]], clusters: &[usize]) -> f64 {
    let n = rows.len();
    let (ids, m) = dense_ids(clusters);
    if m < 2 {
        return 0.0;
    }
    let sizes = counts(&ids, m);
    let (x, dims) = dense_f64(rows);
    let row = |i: usize| &x[i * dims..(i + 1) * dims];
    let scores: Vec<f64> = (0..n)
        .into_par_iter()
        .map_init(
            || vec![0.0f64; m],
            |sums, i| {
                let own = ids[i];
                if sizes[own] < 2 {
                    return 0.0;
                }
                sums.iter_mut().for_each(|s| *s = 0.0);
                let xi = row(i);
                for j in 0..n {
                    if j != i {
                        sums[ids[j]] += sq_euclidean(xi, row(j)).sqrt();
                    }
                }
                let a = sums[own] / (sizes[own] - 1) as f64;
                let b = (0..m)
                    .filter(|&c| c != own)
                    .map(|c| sums[c] / sizes[c] as f64)
                    .fold(f64::INFINITY, f64::min);
                let top = a.max(b);
                if top > 0.0 {
                    (b - a) / top
                } else {
                    0.0
                }
            },
        )
        .collect();
    scores.iter().sum::<f64>() / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_cases() {
        assert_eq!(nmi(&[], &[]), 1.0);
        assert_eq!(ari(&[], &[]), 1.0);
        assert_eq!(purity(&[], &[]), 0.0);
        assert_eq!(nmi(&[4], &[9]), 1.0);
        assert_eq!(ari(&[4], &[9]), 1.0);
        assert_eq!(nmi(&[1, 1, 1], &[0, 1, 2]), 0.0);
        assert_eq!(nmi(&[0, 1, 2], &[5, 5, 5]), 0.0);
        assert_eq!(nmi(&[0, 0, 1, 1], &[1, 1, 0, 0]), 1.0);
        assert_eq!(ari(&[0, 0, 1, 1], &[7, 7, 3, 3]), 1.0);
        assert_eq!(purity(&[0, 0, 1, 1], &[0, 1, 2, 3]), 1.0);
        assert_eq!(silhouette(&[], &[], None, 0), 0.0);
        assert_eq!(silhouette(&[vec![1.0]], &[0], None, 0), 0.0);
        assert_eq!(silhouette(&[vec![1.0], vec![2.0]], &[0, 0], None, 0), 0.0);
        // All singletons: every row scores 0 (sklearn raises).
        assert_eq!(silhouette(&[vec![1.0], vec![2.0]], &[0, 1], None, 0), 0.0);
        assert_eq!(chance_nmi(&[0, 1], &[0, 1], 0, 1), 0.0);
        assert_eq!(
            silhouette(&[vec![1.0], vec![2.0]], &[0, 1], Some(0), 0),
            0.0
        );
    }

    #[test]
    fn chance_levels_are_deterministic() {
        let truth: Vec<usize> = (0..60).map(|i| i % 4).collect();
        let clusters: Vec<usize> = (0..60).map(|i| (i / 3) % 5).collect();
        let a = chance_nmi(&truth, &clusters, CHANCE_SHUFFLES, 7);
        assert_eq!(a, chance_nmi(&truth, &clusters, CHANCE_SHUFFLES, 7));
        assert!(a > 0.0 && a < nmi(&truth, &truth));
        let r = chance_ari(&truth, &clusters, CHANCE_SHUFFLES, 7);
        assert!(r.abs() < 0.1);
    }
}

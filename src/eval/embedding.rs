//! Quality of a low-dimensional map (t-SNE, PCA, …) of the rows.

use rayon::prelude::*;

use super::{dense_f64, sq_euclidean};

/// Trustworthiness of the map `low` of the rows `high` (sklearn
/// `manifold.trustworthiness`, Euclidean in both spaces): 1 − a penalty for
/// every map neighbour that is not a neighbour in the original space,
/// weighted by how far down the original ranking it sits,
///
/// T(k) = 1 − 2 / (n k (2n − 3k − 1)) · Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k),
///
/// where U_k(i) are the k nearest map neighbours of i that are not among
/// its k nearest original neighbours and r(i, j) is j's rank (from 1) by
/// original distance from i. Between 0 and 1, 1 = every map neighbourhood
/// is a true one.
///
/// `low` is any row type that views as `[f32]`: `&[[f32; 2]]` for a 2-D map
/// and `&[Vec<f32>]` both work. Only the first `n = min(high, low)` rows
/// count. Neighbours tie-break by row index (sklearn leaves ties to its
/// sort). sklearn requires `k < n / 2`; here a larger `k` is clamped to the
/// largest valid one, `(n − 1) / 2`, and when that is 0 (n ≤ 2, or `k ==
/// 0`) the result is 1 (no neighbourhood can be wrong). Distances are exact
/// f64 Euclidean over the f32 values, on each space's shortest row length.
/// Cost: n² distances in each space, in parallel.
pub fn trustworthiness<P: AsRef<[f32]> + Sync>(high: &[Vec<f32>], low: &[P], k: usize) -> f64 {
    let n = high.len().min(low.len());
    let k = k.min(n.saturating_sub(1) / 2);
    if k == 0 {
        return 1.0;
    }
    let (hx, hd) = dense_f64(&high[..n]);
    let (lx, ld) = dense_f64(&low[..n]);
    let order = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    let penalties: Vec<u64> = (0..n)
        .into_par_iter()
        .map_init(
            || (Vec::with_capacity(n), vec![0u64; k + 1]),
            |(near, hist), i| {
                // The k nearest map neighbours of i.
                near.clear();
                let li = &lx[i * ld..(i + 1) * ld];
                near.extend(
                    (0..n)
                        .filter(|&j| j != i)
                        .map(|j| (sq_euclidean(li, &lx[j * ld..(j + 1) * ld]), j)),
                );
                near.select_nth_unstable_by(k - 1, order);
                // Their original distances, ascending: the rank thresholds.
                let hi = &hx[i * hd..(i + 1) * hd];
                let hdist = |j: usize| sq_euclidean(hi, &hx[j * hd..(j + 1) * hd]);
                let mut thresholds: Vec<(f64, usize)> =
                    near[..k].iter().map(|&(_, j)| (hdist(j), j)).collect();
                thresholds.sort_unstable_by(order);
                // hist[p]: rows that rank below exactly thresholds[p..].
                hist.iter_mut().for_each(|h| *h = 0);
                for m in (0..n).filter(|&m| m != i) {
                    let key = (hdist(m), m);
                    let p = thresholds.partition_point(|t| order(t, &key).is_le());
                    hist[p] += 1;
                }
                // rank of thresholds[t] = 1 + rows strictly before it.
                let mut below = 0u64;
                let mut penalty = 0u64;
                for &h in hist.iter().take(k) {
                    below += h;
                    penalty += (below + 1).saturating_sub(k as u64);
                }
                penalty
            },
        )
        .collect();
    let total: u64 = penalties.iter().sum();
    let (nf, kf) = (n as f64, k as f64);
    let scale = 2.0 / ((n as u128 * k as u128) as f64 * (2.0 * nf - 3.0 * kf - 1.0));
    1.0 - total as f64 * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_map_is_trustworthy_and_edges_are_safe() {
        let high: Vec<Vec<f32>> = (0..12).map(|i| vec![i as f32, (i * i) as f32]).collect();
        assert_eq!(trustworthiness(&high, &high, 3), 1.0);
        let low: Vec<[f32; 2]> = high.iter().map(|r| [r[0], r[1]]).collect();
        assert_eq!(trustworthiness(&high, &low, 100), 1.0);
        assert_eq!(trustworthiness::<[f32; 2]>(&[], &[], 5), 1.0);
        assert_eq!(trustworthiness(&high[..2], &low[..2], 1), 1.0);
        // Reversed order on a line: neighbourhoods mostly survive.
        let rev: Vec<[f32; 2]> = (0..12).map(|i| [(11 - i) as f32, 0.0]).collect();
        let line: Vec<Vec<f32>> = (0..12).map(|i| vec![i as f32]).collect();
        assert_eq!(trustworthiness(&line, &rev, 2), 1.0);
        let scrambled: Vec<[f32; 2]> = (0..12).map(|i| [((i * 5) % 12) as f32, 0.0]).collect();
        assert!(trustworthiness(&line, &scrambled, 2) < 0.9);
    }
}

//! Leave-one-out nearest neighbours: each row is a query against all the
//! other rows. k-NN predictions and accuracy, precision@k and its chance
//! level.
//!
//! The rule, shared by everything here: a query's neighbours are the other
//! rows sorted by (distance, row index), the first `min(k, n − 1)` of them.
//! Distances are [`Distance`] as the module's reference `distance` computes
//! them (coordinate difference in f32, the rest in f64, summed in coordinate
//! order); the fast kernel below reproduces that bit for bit, so ties break
//! exactly as they always did (rows of unequal length are compared on their
//! common leading coordinates, pair by pair). Queries run in parallel (rayon); every result is collected
//! per query and then summed in query order, so it is deterministic.

use rayon::prelude::*;
use serde::Serialize;

use super::{dense_ids, distance, Distance};

/// The prediction for a query that has no neighbours to vote (fewer than
/// two rows, or `k == 0`). It is no valid class id:
/// [`confusion`](super::confusion) ignores it and accuracy counts it as a
/// miss (so do not use `usize::MAX` as a real label).
pub const NO_VOTE: usize = usize::MAX;

/// Precision@k, leave-one-out: per query, the share of its `min(k, n − 1)`
/// nearest other rows that carry its label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrecisionAtK {
    /// Mean over queries.
    pub micro: f64,
    /// Mean over the classes of the per-class mean over their queries
    /// (every class weighs the same, whatever its size).
    pub macro_: f64,
}

/// Both leave-one-out results from one neighbour search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LooNeighbours {
    /// See [`knn_loo_predictions`].
    pub predictions: Vec<usize>,
    /// See [`precision_at_k_loo`].
    pub precision_at_k: PrecisionAtK,
    /// Each query's precision@k, whose mean is `precision_at_k.micro`
    /// (for intervals on it: [`super::bootstrap`]).
    #[serde(skip)]
    pub per_query: Vec<f64>,
}

/// Leave-one-out k-NN predictions, one per row (`min(rows, labels)` of
/// them): the majority label among the row's `k` nearest other rows (all
/// `n − 1` when `k ≥ n`); a tie in votes goes to the label whose voters have
/// the smaller summed distance, and a tie in that too to the label that
/// first appears later in the (distance, index) order. Every prediction is
/// [`NO_VOTE`] when there are fewer than two rows or `k == 0`.
pub fn knn_loo_predictions(
    rows: &[Vec<f32>],
    labels: &[usize],
    k: usize,
    d: Distance,
) -> Vec<usize> {
    knn_loo(rows, labels, k, d).predictions
}

/// Leave-one-out precision@k (see [`PrecisionAtK`]) with the neighbour rule
/// of [`knn_loo_predictions`]; the denominator is the number of neighbours
/// a query actually has, `min(k, n − 1)`. Both parts are 0 for fewer than
/// two rows or `k == 0`.
pub fn precision_at_k_loo(
    rows: &[Vec<f32>],
    labels: &[usize],
    k: usize,
    d: Distance,
) -> PrecisionAtK {
    knn_loo(rows, labels, k, d).precision_at_k
}

/// [`knn_loo_predictions`] and [`precision_at_k_loo`] from a single
/// neighbour search (the search is the cost: about n² distances).
pub fn knn_loo(rows: &[Vec<f32>], labels: &[usize], k: usize, d: Distance) -> LooNeighbours {
    let n = rows.len().min(labels.len());
    let blocked = Blocked::new(&rows[..n], d);
    knn_loo_with(n, labels, k, &|i, near| match &blocked {
        Some(b) => b.fill(&rows[i], i, n, d, near),
        None => {
            near.clear();
            near.extend(
                (0..n)
                    .filter(|&j| j != i)
                    .map(|j| (distance(&rows[i], &rows[j], d), j)),
            );
        }
    })
}

/// Fills `out` with (distance, j) from item `i` to every other item j.
pub type FillDistances<'a> = dyn Fn(usize, &mut Vec<(f64, usize)>) + Sync + 'a;

/// [`knn_loo`] over `n` items whose distances come from `fill(i, out)`,
/// which must put (distance, j) for every j ≠ i in `out` (e.g. the
/// distances of a similarity profile), or for those of them a filter
/// allows (at least one per query: a query then has min(k, allowed)
/// neighbours).
pub fn knn_loo_with(
    n: usize,
    labels: &[usize],
    k: usize,
    fill: &FillDistances<'_>,
) -> LooNeighbours {
    let n = n.min(labels.len());
    if n < 2 || k == 0 {
        return LooNeighbours {
            predictions: vec![NO_VOTE; n],
            precision_at_k: PrecisionAtK {
                micro: 0.0,
                macro_: 0.0,
            },
            per_query: vec![0.0; n],
        };
    }
    let labels = &labels[..n];
    let per_query = per_query_with(n, k, fill, |i, near| {
        let same = near
            .iter()
            .filter(|&&(_, j)| labels[j] == labels[i])
            .count();
        (vote(labels, near), same as f64 / near.len() as f64)
    });
    let predictions = per_query.iter().map(|q| q.0).collect();
    let share: Vec<f64> = per_query.iter().map(|q| q.1).collect();
    let micro = share.iter().sum::<f64>() / n as f64;
    let (ids, m) = dense_ids(labels);
    let mut class_sum = vec![0.0f64; m];
    let mut class_n = vec![0usize; m];
    for (&c, &s) in ids.iter().zip(&share) {
        class_sum[c] += s;
        class_n[c] += 1;
    }
    let macro_ = class_sum
        .iter()
        .zip(&class_n)
        .map(|(&s, &c)| s / c as f64)
        .sum::<f64>()
        / m as f64;
    LooNeighbours {
        predictions,
        precision_at_k: PrecisionAtK { micro, macro_ },
        per_query: share,
    }
}

/// Leave-one-out k-NN accuracy: each row is classified by a majority vote
/// of its `k` nearest other rows (ties go to the label whose voters are
/// nearest in total; the rule of [`knn_loo_predictions`]). `rows` should
/// already be z-scored. Returns 0 for fewer than two rows or `k == 0`.
pub fn knn_loo_accuracy<L: PartialEq>(
    rows: &[Vec<f32>],
    labels: &[L],
    k: usize,
    d: Distance,
) -> f64 {
    let n = rows.len().min(labels.len());
    if n < 2 || k == 0 {
        return 0.0;
    }
    // Class id = index of the label's first occurrence (searched among the
    // distinct labels seen so far: O(n · classes) comparisons).
    let mut firsts: Vec<usize> = Vec::new();
    let ids: Vec<usize> = (0..n)
        .map(|i| match firsts.iter().find(|&&j| labels[j] == labels[i]) {
            Some(&j) => j,
            None => {
                firsts.push(i);
                i
            }
        })
        .collect();
    let pred = knn_loo_predictions(&rows[..n], &ids, k, d);
    let correct = pred.iter().zip(&ids).filter(|(p, t)| p == t).count();
    correct as f64 / n as f64
}

/// Chance level of precision@k (micro): the expected share of same-label
/// rows for a query whose neighbour is a uniformly random other row,
/// Σ_c n_c (n_c − 1) / (n (n − 1)). 0 for fewer than two labels.
pub fn chance_precision_at_k(labels: &[usize]) -> f64 {
    let n = labels.len();
    if n < 2 {
        return 0.0;
    }
    let (ids, m) = dense_ids(labels);
    let pairs: u128 = super::counts(&ids, m)
        .into_iter()
        .map(|c| c as u128 * c.saturating_sub(1) as u128)
        .sum();
    pairs as f64 / (n as u128 * (n as u128 - 1)) as f64
}

/// Majority vote, ties to the smaller summed distance (then to the later
/// label, as `Iterator::max_by` keeps the last maximum).
fn vote(labels: &[usize], near: &[(f64, usize)]) -> usize {
    // (label, votes, summed distance) in order of first appearance.
    let mut tally: Vec<(usize, usize, f64)> = Vec::new();
    for &(dist, j) in near {
        match tally.iter_mut().find(|t| t.0 == labels[j]) {
            Some(t) => {
                t.1 += 1;
                t.2 += dist;
            }
            None => tally.push((labels[j], 1, dist)),
        }
    }
    tally
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)))
        .map_or(NO_VOTE, |t| t.0)
}

/// Candidates per block of the distance kernel.
const LANES: usize = 16;

/// The rows laid out for the kernel: blocks of [`LANES`] rows, coordinate
/// major, so one query is compared with eight rows at once while each
/// distance is still summed in coordinate order (bit-identical to
/// [`distance`]). `None` when rows differ in length (then the plain
/// per-pair [`distance`] is used).
struct Blocked {
    dims: usize,
    data: Vec<f32>,
    /// Sum of squares per row, in coordinate order (cosine only).
    norms: Vec<f64>,
}

impl Blocked {
    fn new(rows: &[Vec<f32>], d: Distance) -> Option<Self> {
        let dims = rows.first()?.len();
        if rows.iter().any(|r| r.len() != dims) {
            return None;
        }
        let blocks = rows.len().div_ceil(LANES);
        let mut data = vec![0.0f32; blocks * dims * LANES];
        for (j, r) in rows.iter().enumerate() {
            let base = (j / LANES) * dims * LANES + j % LANES;
            for (t, &v) in r.iter().enumerate() {
                data[base + t * LANES] = v;
            }
        }
        let norms = match d {
            Distance::Cosine => rows
                .iter()
                .map(|r| {
                    let mut s = 0.0f64;
                    for &x in r {
                        s += f64::from(x) * f64::from(x);
                    }
                    s
                })
                .collect(),
            Distance::Euclidean => Vec::new(),
        };
        Some(Self { dims, data, norms })
    }

    /// Distances from `q` (row `i`) to every other row, as (distance, j).
    fn fill(&self, q: &[f32], i: usize, n: usize, d: Distance, out: &mut Vec<(f64, usize)>) {
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::avx2() {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.fill_avx2(q, i, n, d, out) };
        }
        self.fill_portable(q, i, n, d, out);
    }

    /// [`Self::fill_portable`] compiled for AVX2 (the build targets baseline
    /// x86-64): the lanes run twice as wide. Bit-identical results: Rust
    /// never contracts or reorders float operations, and each lane sums in
    /// coordinate order.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fill_avx2(
        &self,
        q: &[f32],
        i: usize,
        n: usize,
        d: Distance,
        out: &mut Vec<(f64, usize)>,
    ) {
        self.fill_portable(q, i, n, d, out);
    }

    #[inline(always)]
    fn fill_portable(
        &self,
        q: &[f32],
        i: usize,
        n: usize,
        d: Distance,
        out: &mut Vec<(f64, usize)>,
    ) {
        out.clear();
        let width = self.dims * LANES;
        if width == 0 {
            out.extend((0..n).filter(|&j| j != i).map(|j| (distance(q, q, d), j)));
            return;
        }
        for (b, block) in self.data.chunks_exact(width).enumerate() {
            let coords = block.as_chunks::<LANES>().0;
            let mut acc = [0.0f64; LANES];
            match d {
                Distance::Euclidean => {
                    for (&x, ys) in q.iter().zip(coords) {
                        for l in 0..LANES {
                            let diff = f64::from(x - ys[l]);
                            acc[l] += diff * diff;
                        }
                    }
                }
                Distance::Cosine => {
                    for (&x, ys) in q.iter().zip(coords) {
                        for l in 0..LANES {
                            acc[l] += f64::from(x) * f64::from(ys[l]);
                        }
                    }
                }
            }
            for (l, &a) in acc.iter().enumerate() {
                let j = b * LANES + l;
                if j == i || j >= n {
                    continue;
                }
                let dist = match d {
                    Distance::Euclidean => a.sqrt(),
                    Distance::Cosine => {
                        let (na, nb) = (self.norms[i], self.norms[j]);
                        if na == 0.0 || nb == 0.0 {
                            1.0
                        } else {
                            1.0 - a / (na.sqrt() * nb.sqrt())
                        }
                    }
                };
                out.push((dist, j));
            }
        }
    }
}

/// Run `f(i, neighbours of i)` for every query `i` in parallel, results in
/// query order. Needs `rows.len() ≥ 2` and `k ≥ 1`.
/// Each query's `k` nearest (distance, row) pairs, from `fill`, passed to `f`.
fn per_query_with<T, F>(n: usize, k: usize, fill: &FillDistances<'_>, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, &[(f64, usize)]) -> T + Sync,
{
    let k = k.min(n - 1);
    let order = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    (0..n)
        .into_par_iter()
        .map_init(
            || Vec::with_capacity(n),
            |near: &mut Vec<(f64, usize)>, i| {
                fill(i, near);
                // (distance, index) is a total order with unique keys, so
                // selecting then sorting the first k is the full sort's prefix.
                // A filtering `fill` may leave fewer than k candidates.
                let k = k.min(near.len());
                if k > 0 && k < near.len() {
                    near.select_nth_unstable_by(k - 1, order);
                }
                let near = &mut near[..k];
                near.sort_unstable_by(order);
                f(i, near)
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::SplitMix64;

    fn random_rows(n: usize, dims: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut r = SplitMix64::new(seed);
        (0..n)
            .map(|_| {
                (0..dims)
                    .map(|_| (r.next_u64() >> 40) as f32 / (1u64 << 22) as f32 - 2.0)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn kernel_is_bit_identical_to_the_reference_distance() {
        for dims in [0, 1, 3, 8, 13, 91] {
            let mut rows = random_rows(21, dims, dims as u64);
            rows[4] = vec![0.0; dims]; // zero row: cosine distance 1
            rows[7] = rows[3].clone();
            for d in [Distance::Euclidean, Distance::Cosine] {
                let b = Blocked::new(&rows, d).unwrap();
                let (mut out, mut portable) = (Vec::new(), Vec::new());
                for i in 0..rows.len() {
                    b.fill(&rows[i], i, rows.len(), d, &mut out);
                    b.fill_portable(&rows[i], i, rows.len(), d, &mut portable);
                    assert_eq!(out.len(), rows.len() - 1);
                    for (&(dist, j), &(p, pj)) in out.iter().zip(&portable) {
                        let want = distance(&rows[i], &rows[j], d);
                        assert_eq!(dist.to_bits(), want.to_bits(), "{dims} {d:?} {i} {j}");
                        assert_eq!((p.to_bits(), pj), (want.to_bits(), j));
                    }
                }
            }
        }
    }

    /// The original implementation, kept as the oracle for the rule.
    fn reference_predictions(
        rows: &[Vec<f32>],
        labels: &[usize],
        k: usize,
        d: Distance,
    ) -> Vec<usize> {
        let n = rows.len();
        (0..n)
            .map(|i| {
                let mut near: Vec<(f64, usize)> = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| (distance(&rows[i], &rows[j], d), j))
                    .collect();
                near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                near.truncate(k);
                vote(labels, &near)
            })
            .collect()
    }

    #[test]
    fn predictions_follow_the_original_rule() {
        // Integer grid with duplicates: many exact distance ties.
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|i| vec![(i % 5) as f32, ((i / 5) % 3) as f32, (i % 2) as f32])
            .collect();
        let labels: Vec<usize> = (0..40).map(|i| (i * 7 % 11) % 3).collect();
        for d in [Distance::Euclidean, Distance::Cosine] {
            for k in [1, 2, 3, 4, 6, 39, 50] {
                assert_eq!(
                    knn_loo_predictions(&rows, &labels, k, d),
                    reference_predictions(&rows, &labels, k, d),
                    "{d:?} k={k}"
                );
            }
        }
        // Ragged rows take the per-pair path, same rule.
        let mut ragged = rows.clone();
        ragged[3].push(1.0);
        assert_eq!(
            knn_loo_predictions(&ragged, &labels, 3, Distance::Euclidean),
            reference_predictions(&ragged, &labels, 3, Distance::Euclidean)
        );
    }

    #[test]
    fn degenerate_inputs() {
        let one = vec![vec![1.0f32, 2.0]];
        assert_eq!(
            knn_loo_predictions(&one, &[3], 5, Distance::Euclidean),
            vec![NO_VOTE]
        );
        assert!(knn_loo_predictions(&[], &[], 5, Distance::Euclidean).is_empty());
        let two = vec![vec![0.0f32], vec![1.0]];
        assert_eq!(
            knn_loo_predictions(&two, &[0, 1], 0, Distance::Cosine),
            vec![NO_VOTE; 2]
        );
        // k ≥ n: all other rows vote.
        assert_eq!(
            knn_loo_predictions(&two, &[0, 1], 9, Distance::Euclidean),
            vec![1, 0]
        );
        let p = precision_at_k_loo(&two, &[0, 0], 9, Distance::Euclidean);
        assert_eq!((p.micro, p.macro_), (1.0, 1.0));
        let p = precision_at_k_loo(&one, &[0], 1, Distance::Euclidean);
        assert_eq!((p.micro, p.macro_), (0.0, 0.0));
        assert_eq!(chance_precision_at_k(&[1]), 0.0);
        assert_eq!(chance_precision_at_k(&[1, 1, 2, 2]), 4.0 / 12.0);
        // Constant rows: every distance ties; index order decides.
        let flat = vec![vec![2.0f32; 3]; 5];
        assert_eq!(
            knn_loo_predictions(&flat, &[0, 1, 1, 0, 0], 1, Distance::Euclidean),
            vec![1, 0, 0, 0, 0]
        );
        assert_eq!(
            knn_loo_accuracy(&flat, &["a", "b", "b", "a", "a"], 1, Distance::Cosine),
            0.4
        );
    }
}

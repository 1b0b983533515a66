//! A metric learned from the user's own genre labels: shrinkage linear
//! discriminant analysis (LDA) on a profile's feature vectors, and genre
//! votes of the nearest labelled tracks in the projected space. Pure
//! functions over plain rows; the report and the export feed them.
//!
//! LDA finds the directions along which the genres' means lie far apart
//! compared with the spread inside each genre, so a feature that varies
//! little but tells genres apart counts, and a loud one that does not is
//! ignored. The within-genre covariance is shrunk towards its own diagonal
//! (the correlations towards none; by Ledoit–Wolf's estimate of the
//! amount, or a fixed share), which keeps
//! the fit stable with few tracks per genre and more dimensions than
//! tracks. Linear algebra: `linfa-linalg`'s symmetric eigensolver (pure
//! Rust, already a dependency of `linfa`).

use linfa_linalg::eigh::Eigh;
use ndarray::{Array1, Array2};

/// Why a metric could not be learned.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MetricError {
    /// Fewer than two genres among the labelled rows.
    #[error("learning a metric needs labelled tracks of at least two genres ({0} here)")]
    TooFewGenres(usize),
    /// Rows of different lengths, or none.
    #[error("the feature rows have different lengths or none ({0})")]
    Shape(String),
    /// The eigensolver failed (non-finite features).
    #[error("the learned metric could not be computed: {0}")]
    Numeric(String),
}

/// How much the within-genre correlation is shrunk towards the identity
/// (the covariance towards its diagonal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shrinkage {
    /// Ledoit–Wolf's estimate from the data (scikit-learn's `auto`).
    LedoitWolf,
    /// A fixed share, 0 (none) ..= 1 (the diagonal only: each feature
    /// weighed by its own genre separation, correlations ignored).
    Fixed(f64),
}

/// The learned projection: `transform(x) = axesᵀ (x − mean)`, one output
/// coordinate per discriminant axis, scaled so that the within-genre
/// spread is 1 along each.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Mean of the training rows.
    mean: Vec<f64>,
    /// Discriminant axes (each of the input's length), strongest first.
    axes: Vec<Vec<f64>>,
    /// Each axis's discriminant ratio (between- over within-genre spread).
    pub ratios: Vec<f64>,
    /// The shrinkage share used.
    pub shrinkage: f64,
}

impl Projection {
    /// Output coordinates per row.
    pub fn dims(&self) -> usize {
        self.axes.len()
    }

    /// Project one row (missing trailing values count as the mean).
    pub fn transform(&self, x: &[f32]) -> Vec<f32> {
        self.axes
            .iter()
            .map(|a| {
                a.iter()
                    .zip(&self.mean)
                    .zip(x)
                    .map(|((w, m), &v)| w * (f64::from(v) - m))
                    .sum::<f64>() as f32
            })
            .collect()
    }

    /// Project every row.
    pub fn transform_all<R: AsRef<[f32]>>(&self, rows: &[R]) -> Vec<Vec<f32>> {
        rows.iter().map(|r| self.transform(r.as_ref())).collect()
    }
}

/// Fit shrinkage LDA on `rows` with genre ids `labels` (any `usize`
/// values), keeping at most `max_dims` axes (never more than genres − 1).
pub fn fit_lda<R: AsRef<[f32]>>(
    rows: &[R],
    labels: &[usize],
    shrinkage: Shrinkage,
    max_dims: usize,
) -> Result<Projection, MetricError> {
    let n = rows.len().min(labels.len());
    let d = rows.first().map_or(0, |r| r.as_ref().len());
    if n == 0 || d == 0 || rows[..n].iter().any(|r| r.as_ref().len() != d) {
        return Err(MetricError::Shape(format!("{n} rows, first of {d} values")));
    }
    let mut classes: Vec<usize> = labels[..n].to_vec();
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        return Err(MetricError::TooFewGenres(classes.len()));
    }
    let class_of: Vec<usize> = labels[..n]
        .iter()
        .map(|l| classes.binary_search(l).unwrap_or(0))
        .collect();
    let c = classes.len();
    let mut means = Array2::<f64>::zeros((c, d));
    let mut count = vec![0usize; c];
    for (r, &k) in rows.iter().zip(&class_of) {
        count[k] += 1;
        for (m, &v) in means.row_mut(k).iter_mut().zip(r.as_ref()) {
            *m += f64::from(v);
        }
    }
    for (k, &nk) in count.iter().enumerate() {
        means.row_mut(k).mapv_inplace(|m| m / nk as f64);
    }
    let mean: Array1<f64> = (0..d)
        .map(|j| (0..c).map(|k| means[[k, j]] * count[k] as f64).sum::<f64>() / n as f64)
        .collect();
    // Rows centred on their genre's mean: the within-genre scatter.
    let mut x = Array2::<f64>::zeros((n, d));
    for (i, (r, &k)) in rows.iter().zip(&class_of).enumerate() {
        for (j, &v) in r.as_ref().iter().enumerate() {
            x[[i, j]] = f64::from(v) - means[[k, j]];
        }
    }
    // Shrink in standardised coordinates (each feature scaled by its
    // within-genre spread, as scikit-learn does for `auto`): the target is
    // then the diagonal of the scatter, not one variance for all.
    let mut spread: Vec<f64> = x
        .columns()
        .into_iter()
        .map(|c| (c.dot(&c) / n as f64).sqrt())
        .collect();
    let typical = spread.iter().sum::<f64>() / d as f64;
    if !typical.is_finite() {
        return Err(MetricError::Numeric("non-finite features".into()));
    }
    let floor = 1e-6 * typical.max(1e-300);
    spread.iter_mut().for_each(|s| *s = s.max(floor));
    for (mut c, s) in x.columns_mut().into_iter().zip(&spread) {
        c.mapv_inplace(|v| v / s);
    }
    let r = x.t().dot(&x) / n as f64;
    let alpha = match shrinkage {
        Shrinkage::Fixed(a) => a.clamp(0.0, 1.0),
        Shrinkage::LedoitWolf => ledoit_wolf(&x, &r),
    };
    // Shrinking keeps the eigenvectors of the scatter: whiten with them.
    let (vals, vecs) = r.eigh().map_err(|e| MetricError::Numeric(e.to_string()))?;
    let inv_sqrt: Vec<f64> = vals
        .iter()
        .map(|&l| 1.0 / ((1.0 - alpha) * l.max(0.0) + alpha).max(1e-9).sqrt())
        .collect();
    let mut w = vecs;
    for (mut col, f) in w.columns_mut().into_iter().zip(&inv_sqrt) {
        col.mapv_inplace(|v| v * f);
    }
    for (mut row, s) in w.rows_mut().into_iter().zip(&spread) {
        row.mapv_inplace(|v| v / s);
    }
    // Between-genre scatter = B Bᵀ, B's columns √(n_k/n)(m_k − m): rank
    // < genres, so its eigenproblem is solved in genres × genres.
    let mut b = Array2::<f64>::zeros((d, c));
    for k in 0..c {
        let p = (count[k] as f64 / n as f64).sqrt();
        for j in 0..d {
            b[[j, k]] = p * (means[[k, j]] - mean[j]);
        }
    }
    let g = w.t().dot(&b);
    let h = g.t().dot(&g);
    let (sv, q) = h.eigh().map_err(|e| MetricError::Numeric(e.to_string()))?;
    let mut order: Vec<usize> = (0..c).collect();
    order.sort_by(|&a, &b| sv[b].total_cmp(&sv[a]));
    let top = sv.iter().copied().fold(0.0f64, f64::max);
    let keep: Vec<usize> = order
        .into_iter()
        .filter(|&k| sv[k] > 1e-12 * top.max(1e-300))
        .take(max_dims.max(1).min(c - 1))
        .collect();
    let mut axes = Vec::with_capacity(keep.len());
    let mut ratios = Vec::with_capacity(keep.len());
    for &k in &keep {
        let u = g.dot(&q.column(k)) / sv[k].sqrt();
        axes.push(w.dot(&u).to_vec());
        ratios.push(sv[k]);
    }
    if axes.is_empty() {
        return Err(MetricError::Numeric("the genres' means coincide".into()));
    }
    Ok(Projection {
        mean: mean.to_vec(),
        axes,
        ratios,
        shrinkage: alpha,
    })
}

/// Cross-fitting for group-disjoint validation: for each fold id `f` in
/// `0..=max(folds)`, a projection fitted on the rows of the other folds,
/// applied to every row (entry `f`; an error when those rows cannot be
/// fitted, e.g. hold one genre only).
pub fn cross_fit<R: AsRef<[f32]> + Sync>(
    rows: &[R],
    labels: &[usize],
    folds: &[usize],
    shrinkage: Shrinkage,
    max_dims: usize,
) -> Vec<Result<Vec<Vec<f32>>, MetricError>> {
    use rayon::prelude::*;
    let n = rows.len().min(labels.len()).min(folds.len());
    let count = folds[..n].iter().max().map_or(0, |m| m + 1);
    (0..count)
        .into_par_iter()
        .map(|f| {
            let train: Vec<&[f32]> = (0..n)
                .filter(|&i| folds[i] != f)
                .map(|i| rows[i].as_ref())
                .collect();
            let tl: Vec<usize> = (0..n)
                .filter(|&i| folds[i] != f)
                .map(|i| labels[i])
                .collect();
            let p = fit_lda(&train, &tl, shrinkage, max_dims)?;
            Ok(p.transform_all(&rows[..n]))
        })
        .collect()
}

/// Ledoit–Wolf shrinkage share of the covariance `s` of the centred rows
/// `x`, as scikit-learn's `ledoit_wolf_shrinkage`.
fn ledoit_wolf(x: &Array2<f64>, s: &Array2<f64>) -> f64 {
    let (n, d) = x.dim();
    let mu = s.diag().sum() / d as f64;
    let (nf, df) = (n as f64, d as f64);
    let fourth: f64 = x.rows().into_iter().map(|r| r.dot(&r).powi(2)).sum::<f64>();
    let frob: f64 = s.iter().map(|v| v * v).sum();
    let beta = (fourth / nf - frob) / (df * nf);
    let delta = (frob - 2.0 * mu * s.diag().sum() + df * mu * mu) / df;
    let beta = beta.min(delta);
    if beta <= 0.0 || delta <= 0.0 {
        0.0
    } else {
        beta / delta
    }
}

/// The genre vote of the `k` nearest of `candidates` (Euclidean in `rows`'
/// space) to `query`: each neighbour's vote weighs 1 / (1 + its rank), so
/// ties go to the nearer side. Returns the winning label and its share of
/// the votes; `None` without candidates.
pub fn knn_vote(
    rows: &[Vec<f32>],
    labels: &[usize],
    query: &[f32],
    candidates: impl Iterator<Item = usize>,
    k: usize,
) -> Option<(usize, f64)> {
    let mut near: Vec<(f64, usize)> = candidates
        .filter_map(|j| {
            let r = rows.get(j)?;
            let d: f64 = r
                .iter()
                .zip(query)
                .map(|(&a, &b)| f64::from(a - b).powi(2))
                .sum();
            labels.get(j).map(|&l| (d, l))
        })
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    near.truncate(k.max(1));
    let mut tally: Vec<(usize, f64)> = Vec::new();
    for (rank, &(_, l)) in near.iter().enumerate() {
        let w = 1.0 / (1.0 + rank as f64);
        match tally.iter_mut().find(|t| t.0 == l) {
            Some(t) => t.1 += w,
            None => tally.push((l, w)),
        }
    }
    let total: f64 = tally.iter().map(|t| t.1).sum();
    tally
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(l, w)| (l, w / total))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two genres that differ only along a quiet axis (spread 0.05, means
    /// ±0.1) under loud noise on 5 others (spread 3): the rows are
    /// generated, deterministic.
    fn quiet_axis(n: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut r = crate::eval::SplitMix64::new(seed);
        let mut u = move || (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let rows = (0..n)
            .map(|i| {
                let side = if i % 2 == 0 { -0.1 } else { 0.1 };
                let mut v = vec![(side + 0.17 * u()) as f32];
                v.extend((0..5).map(|_| (10.0 * u()) as f32));
                v
            })
            .collect();
        (rows, (0..n).map(|i| i % 2).collect())
    }

    fn accuracy(train: &[Vec<f32>], tl: &[usize], test: &[Vec<f32>], el: &[usize]) -> f64 {
        let hits = test
            .iter()
            .zip(el)
            .filter(|(q, &l)| knn_vote(train, tl, q, 0..train.len(), 5).map(|v| v.0) == Some(l))
            .count();
        hits as f64 / test.len() as f64
    }

    #[test]
    fn the_learned_metric_finds_a_quiet_axis_the_plain_one_misses() {
        let (train, tl) = quiet_axis(200, 1);
        let (test, el) = quiet_axis(200, 2);
        let plain = accuracy(&train, &tl, &test, &el);
        assert!(plain < 0.7, "plain kNN {plain}");
        for s in [
            Shrinkage::LedoitWolf,
            Shrinkage::Fixed(0.0),
            Shrinkage::Fixed(1.0),
        ] {
            let p = fit_lda(&train, &tl, s, 4).unwrap();
            assert_eq!(p.dims(), 1, "two genres give one axis");
            let learned = accuracy(&p.transform_all(&train), &tl, &p.transform_all(&test), &el);
            assert!(learned > 0.95, "{s:?}: learned kNN {learned}");
            // The axis is the quiet feature's.
            let a = &p.axes[0];
            let other = a[1..].iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(a[0].abs() > 20.0 * other, "{a:?}");
        }
    }

    #[test]
    fn within_genre_spread_is_one_along_each_axis_and_dims_are_capped() {
        // Three genres at the corners of a triangle in 2 of 4 dimensions.
        let mut r = crate::eval::SplitMix64::new(7);
        let mut u = move || (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let centres = [[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]];
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..300 {
            let c = centres[i % 3];
            rows.push(vec![
                (c[0] + u()) as f32,
                (c[1] + u()) as f32,
                u() as f32,
                (3.0 * u()) as f32,
            ]);
            labels.push(10 + i % 3);
        }
        let p = fit_lda(&rows, &labels, Shrinkage::Fixed(0.0), 9).unwrap();
        assert_eq!(p.dims(), 2, "genres − 1 axes at most");
        assert!(
            p.ratios[0] >= p.ratios[1] && p.ratios[1] > 1.0,
            "{:?}",
            p.ratios
        );
        let z = p.transform_all(&rows);
        for a in [0usize, 1] {
            // Pooled within-genre variance along the axis.
            let mut var = 0.0;
            for g in 0..3 {
                let vals: Vec<f64> = (0..300)
                    .filter(|i| i % 3 == g)
                    .map(|i| f64::from(z[i][a]))
                    .collect();
                let m = vals.iter().sum::<f64>() / vals.len() as f64;
                var += vals.iter().map(|v| (v - m).powi(2)).sum::<f64>();
            }
            assert!(
                (var / 300.0 - 1.0).abs() < 1e-6,
                "axis {a}: {}",
                var / 300.0
            );
        }
        assert_eq!(
            fit_lda(&rows, &labels, Shrinkage::Fixed(0.0), 1)
                .unwrap()
                .dims(),
            1
        );
    }

    #[test]
    fn more_dimensions_than_rows_and_bad_inputs() {
        // 12 rows of 40 values: the scatter is singular; Ledoit–Wolf
        // shrinks it to something invertible.
        let (mut rows, labels) = quiet_axis(12, 3);
        for (i, r) in rows.iter_mut().enumerate() {
            r.extend((0..34).map(|j| ((i * 7 + j * 3) % 11) as f32));
        }
        let p = fit_lda(&rows, &labels, Shrinkage::LedoitWolf, 1).unwrap();
        assert!(p.shrinkage > 0.0 && p.shrinkage <= 1.0, "{}", p.shrinkage);
        assert!(p.transform(&rows[0]).iter().all(|v| v.is_finite()));
        assert_eq!(
            fit_lda(&rows, &[3; 12], Shrinkage::LedoitWolf, 1),
            Err(MetricError::TooFewGenres(1))
        );
        let ragged = vec![vec![1.0f32, 2.0], vec![1.0]];
        assert!(matches!(
            fit_lda(&ragged, &[0, 1], Shrinkage::LedoitWolf, 1),
            Err(MetricError::Shape(_))
        ));
        assert!(matches!(
            fit_lda::<Vec<f32>>(&[], &[], Shrinkage::LedoitWolf, 1),
            Err(MetricError::Shape(_))
        ));
        assert_eq!(
            knn_vote(&rows, &labels, &rows[0], std::iter::empty(), 5),
            None
        );
    }
}

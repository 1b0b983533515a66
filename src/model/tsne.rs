//! t-SNE map (van der Maaten 2014, the scikit-learn recipe): sparse input
//! affinities from the 3·perplexity nearest neighbours, PCA initialisation,
//! early exaggeration, gains and momentum; repulsion exact for small maps,
//! Barnes–Hut (quadtree) above, and FFT-accelerated interpolation
//! ([`super::interpolation`], FIt-SNE) for large ones. The neighbours of
//! large maps come from NN-descent ([`crate::similarity::nndescent`]).
//!
//! Written here rather than taken from linfa-tsne/bhtsne: that crate's
//! Barnes–Hut mode draws vantage points from an unseeded RNG (maps differ
//! between runs), has aborted with a stack overflow on small inputs, needs
//! an N² matrix in exact mode (800 MB at 10 000 tracks) and runs on one
//! core. This version is deterministic (per-point work in parallel, every
//! float sum in a fixed order), defined for every N and cancellable.

use rayon::prelude::*;

/// t-SNE settings (scikit-learn's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TsneParams {
    /// Target perplexity; clamped to what N allows.
    pub perplexity: f64,
    /// Total gradient steps.
    pub iterations: usize,
    /// Steps with exaggerated attraction (and momentum 0.5) at the start.
    pub exaggeration_iterations: usize,
    /// Exaggeration factor.
    pub exaggeration: f64,
    /// Barnes–Hut accuracy (cell width / distance below which a cell is
    /// one body).
    pub theta: f64,
    /// Maps with fewer points than this use exact repulsion.
    pub exact_below: usize,
    /// Maps with at least this many points use FFT-accelerated
    /// interpolation for the repulsion (Barnes–Hut below).
    pub fft_from: usize,
    /// Maps with fewer points than this find each point's neighbours
    /// exactly (all pairs); larger ones by NN-descent.
    pub exact_neighbours_below: usize,
}

impl Default for TsneParams {
    fn default() -> Self {
        TsneParams {
            perplexity: 30.0,
            iterations: 1000,
            exaggeration_iterations: 250,
            exaggeration: 12.0,
            theta: 0.5,
            exact_below: 1000,
            fft_from: 5000,
            exact_neighbours_below: 5000,
        }
    }
}

/// Embed `rows` in 2-D. `progress(done, total)` is called every few steps
/// and returns false to cancel, in which case `None` is returned.
pub fn tsne(
    rows: &[Vec<f32>],
    params: &TsneParams,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Option<Vec<[f32; 2]>> {
    tsne_timed(rows, params, progress, &mut Phases::default())
}

/// Seconds spent in the two phases of a map.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Phases {
    /// Neighbours and input affinities.
    pub affinities: f64,
    /// PCA start and gradient descent.
    pub optimise: f64,
}

/// [`tsne`], recording how long its phases took in `phases`.
pub fn tsne_timed(
    rows: &[Vec<f32>],
    params: &TsneParams,
    progress: &mut dyn FnMut(usize, usize) -> bool,
    phases: &mut Phases,
) -> Option<Vec<[f32; 2]>> {
    let n = rows.len();
    if n <= 1 || rows.iter().all(|r| r == &rows[0]) {
        // Nothing to separate: everything sits at the origin.
        return Some(vec![[0.0, 0.0]; n]);
    }
    let t = std::time::Instant::now();
    let p = affinities(rows, params.perplexity, params.exact_neighbours_below);
    phases.affinities = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let mut y = pca_init(rows);
    optimise(&p, &mut y, params, progress)?;
    phases.optimise = t.elapsed().as_secs_f64();
    Some(y.iter().map(|v| [v[0] as f32, v[1] as f32]).collect())
}

/// Symmetric joint probabilities in compressed-row form.
#[derive(Debug, Clone)]
struct Sparse {
    start: Vec<usize>,
    col: Vec<u32>,
    val: Vec<f64>,
}

impl Sparse {
    fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let (a, b) = (self.start[i], self.start[i + 1]);
        self.col[a..b]
            .iter()
            .zip(&self.val[a..b])
            .map(|(&j, &v)| (j as usize, v))
    }
}

pub(crate) fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = f64::from(x) - f64::from(y);
            d * d
        })
        .sum()
}

/// P = (P_cond + P_condᵀ) / sum, from each row's `3·perplexity` nearest
/// neighbours (squared Euclidean; exact below `exact_below` rows, else by
/// NN-descent) and a per-row Gaussian whose width gives the target
/// perplexity.
fn affinities(rows: &[Vec<f32>], perplexity: f64, exact_below: usize) -> Sparse {
    let n = rows.len();
    let perp = perplexity.min((n - 1) as f64 / 3.0).max(1.0);
    let k = ((3.0 * perp) as usize).clamp(1, n - 1);
    // The chosen neighbours' distances recomputed exactly in f64.
    let weigh = |i: usize, near: &mut dyn Iterator<Item = u32>| -> Vec<(u32, f64)> {
        let mut d: Vec<(f64, u32)> = near
            .map(|j| (sq_dist(&rows[i], &rows[j as usize]), j))
            .collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let w = perplexity_weights(&d, perp);
        d.iter().zip(w).map(|(&(_, j), p)| (j, p)).collect()
    };
    let norms: Vec<f32> = rows.iter().map(|r| r.iter().map(|v| v * v).sum()).collect();
    let conditional: Vec<Vec<(u32, f64)>> = if n < exact_below {
        // Candidates from fast f32 block products (|a|² + |b|² − 2a·b).
        crate::similarity::gram::map_rows_with_dots(rows, |i, dots| {
            let mut d: Vec<(f32, u32)> = dots
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, &g)| (norms[i] + norms[j] - 2.0 * g, j as u32))
                .collect();
            let by = |a: &(f32, u32), b: &(f32, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            if k < d.len() {
                d.select_nth_unstable_by(k - 1, by);
                d.truncate(k);
            }
            weigh(i, &mut d.iter().map(|x| x.1))
        })
    } else {
        // NN-descent finds a short list (30) cheaply; the neighbours of
        // those neighbours then hold nearly all of the k nearest.
        use crate::similarity::nndescent;
        let params = nndescent::Params::new(k.min(BASE_NEIGHBOURS));
        let forest = nndescent::forest(n, params.trees, params.leaf, params.seed, |i| &rows[i]);
        let neg_sq = |a: usize, b: usize| {
            -(norms[a] + norms[b] - 2.0 * crate::similarity::kernels::dot(&rows[a], &rows[b]))
        };
        let base = nndescent::search(n, &params, Some(&forest), |a, bs, out| {
            for (o, &b) in out.iter_mut().zip(bs) {
                *o = neg_sq(a, b as usize);
            }
        });
        (0..n)
            .into_par_iter()
            .map(|i| {
                let mut cand: Vec<u32> = base[i]
                    .iter()
                    .flat_map(|nb| {
                        std::iter::once(nb.index)
                            .chain(base[nb.index as usize].iter().map(|x| x.index))
                    })
                    .filter(|&j| j as usize != i)
                    .collect();
                cand.sort_unstable();
                cand.dedup();
                let mut d: Vec<(f32, u32)> =
                    cand.iter().map(|&j| (-neg_sq(i, j as usize), j)).collect();
                let by = |a: &(f32, u32), b: &(f32, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if k < d.len() {
                    d.select_nth_unstable_by(k - 1, by);
                    d.truncate(k);
                }
                weigh(i, &mut d.iter().map(|x| x.1))
            })
            .collect()
    };
    symmetric(conditional)
}

/// P = (P_cond + P_condᵀ) / sum in compressed rows: each row holds its own
/// list and the rows that list it, by column (a pair in both lists summed,
/// its own row's share first when that row comes first), every sum in the
/// order a sorted list of (row, column) triplets would give. Filled in
/// place rather than through such a list: 0.2 GB less at 100 000 points.
fn symmetric(conditional: Vec<Vec<(u32, f64)>>) -> Sparse {
    let n = conditional.len();
    let mut start = vec![0usize; n + 1];
    for (i, row) in conditional.iter().enumerate() {
        start[i + 1] += row.len();
        for &(j, _) in row {
            start[j as usize + 1] += 1;
        }
    }
    for i in 1..=n {
        start[i] += start[i - 1];
    }
    // Column, source row (it orders a pair's two shares) and p per entry.
    let len = start[n];
    let (mut col, mut src, mut val) = (vec![0u32; len], vec![0u32; len], vec![0.0f64; len]);
    let mut fill = start.clone();
    for (i, row) in conditional.into_iter().enumerate() {
        for (j, p) in row {
            for (at, c) in [(i, j), (j as usize, i as u32)] {
                (col[fill[at]], src[fill[at]], val[fill[at]]) = (c, i as u32, p);
                fill[at] += 1;
            }
        }
    }
    drop(fill);
    let mut row: Vec<(u32, u32, f64)> = Vec::new();
    for i in 0..n {
        let range = start[i]..start[i + 1];
        row.clear();
        row.extend(range.clone().map(|e| (col[e], src[e], val[e])));
        row.sort_unstable_by_key(|e| (e.0, e.1));
        for (e, &(c, s, p)) in range.zip(&row) {
            (col[e], src[e], val[e]) = (c, s, p);
        }
    }
    drop(src);
    let total: f64 = val.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    // Pairs in both lists merged, in place (the write point never passes
    // the read point).
    let mut out_start = vec![0usize; n + 1];
    let mut w = 0;
    for i in 0..n {
        let mut last: Option<u32> = None;
        for e in start[i]..start[i + 1] {
            let (j, p) = (col[e], val[e]);
            if last == Some(j) {
                val[w - 1] += p / total;
                continue;
            }
            last = Some(j);
            (col[w], val[w]) = (j, p / total);
            w += 1;
        }
        out_start[i + 1] = w;
    }
    col.truncate(w);
    col.shrink_to_fit();
    val.truncate(w);
    val.shrink_to_fit();
    Sparse {
        start: out_start,
        col,
        val,
    }
}

/// Length of the NN-descent lists the neighbours of a large map are
/// gathered from (their neighbours' lists too).
const BASE_NEIGHBOURS: usize = 30;

/// Conditional probabilities over sorted neighbour distances whose entropy
/// is ln(perplexity): binary search on the Gaussian precision.
pub(crate) fn perplexity_weights(d: &[(f64, u32)], perplexity: f64) -> Vec<f64> {
    let target = perplexity.ln();
    let d0 = d.first().map_or(0.0, |x| x.0);
    let (mut beta, mut lo, mut hi) = (1.0f64, 0.0f64, f64::INFINITY);
    let mut w = vec![0.0; d.len()];
    for _ in 0..100 {
        // Shift by the nearest distance: same distribution, no underflow.
        let mut sum = 0.0;
        for (wi, &(di, _)) in w.iter_mut().zip(d) {
            *wi = (-(di - d0) * beta).exp();
            sum += *wi;
        }
        let mut weighted = 0.0;
        for (wi, &(di, _)) in w.iter_mut().zip(d) {
            *wi /= sum;
            weighted += *wi * (di - d0);
        }
        // Entropy of the normalised weights.
        let entropy = sum.ln() + beta * weighted;
        let diff = entropy - target;
        if diff.abs() < 1e-5 {
            break;
        }
        if diff > 0.0 {
            lo = beta;
            beta = if hi.is_finite() {
                (beta + hi) / 2.0
            } else {
                beta * 2.0
            };
        } else {
            hi = beta;
            beta = (beta + lo) / 2.0;
        }
    }
    w
}

/// First two principal components, scaled so the first has std 1e-4 (as
/// scikit-learn does): a deterministic start that keeps global structure.
fn pca_init(rows: &[Vec<f32>]) -> Vec<[f64; 2]> {
    let n = rows.len();
    let dims = rows.first().map_or(0, Vec::len);
    let mut mean = vec![0.0f64; dims];
    for r in rows {
        for (m, &v) in mean.iter_mut().zip(r) {
            *m += f64::from(v) / n as f64;
        }
    }
    let mut cov = vec![0.0f64; dims * dims];
    for r in rows {
        let c: Vec<f64> = r
            .iter()
            .zip(&mean)
            .map(|(&v, m)| f64::from(v) - m)
            .collect();
        for a in 0..dims {
            for b in a..dims {
                cov[a * dims + b] += c[a] * c[b];
            }
        }
    }
    for a in 0..dims {
        for b in 0..a {
            cov[a * dims + b] = cov[b * dims + a];
        }
    }
    let first = power_iteration(&cov, dims, None);
    let second = power_iteration(&cov, dims, Some(&first));
    let mut y: Vec<[f64; 2]> = rows
        .iter()
        .map(|r| {
            let c = r.iter().zip(&mean).map(|(&v, m)| f64::from(v) - m);
            let (mut a, mut b) = (0.0, 0.0);
            for ((x, u), v) in c.zip(&first).zip(&second) {
                a += x * u;
                b += x * v;
            }
            [a, b]
        })
        .collect();
    let sd = (y.iter().map(|p| p[0] * p[0]).sum::<f64>() / n as f64).sqrt();
    if sd > 0.0 {
        for p in &mut y {
            p[0] *= 1e-4 / sd;
            p[1] *= 1e-4 / sd;
        }
    } else {
        // Rows differ but not along any direction PCA sees (cannot happen
        // for real data); spread them on a tiny spiral to let t-SNE work.
        for (i, p) in y.iter_mut().enumerate() {
            let t = i as f64;
            *p = [1e-4 * t.cos() * (1.0 + t), 1e-4 * t.sin() * (1.0 + t)];
        }
    }
    y
}

/// Dominant unit eigenvector of the symmetric `cov`, orthogonal to `not`.
fn power_iteration(cov: &[f64], dims: usize, not: Option<&[f64]>) -> Vec<f64> {
    // A fixed, generic start vector: deterministic and almost surely not
    // orthogonal to the answer.
    let mut v: Vec<f64> = (0..dims)
        .map(|i| 1.0 + (i as f64 * 0.618).fract())
        .collect();
    for _ in 0..300 {
        if let Some(u) = not {
            let d: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= d * b);
        }
        let mut w: Vec<f64> = (0..dims)
            .map(|a| (0..dims).map(|b| cov[a * dims + b] * v[b]).sum())
            .collect();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return vec![0.0; dims];
        }
        w.iter_mut().for_each(|x| *x /= norm);
        let delta: f64 = w.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = w;
        if delta < 1e-12 {
            break;
        }
    }
    if let Some(u) = not {
        let d: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
        v.iter_mut().zip(u).for_each(|(a, b)| *a -= d * b);
    }
    v
}

/// Gradient descent with momentum and per-coordinate gains.
fn optimise(
    p: &Sparse,
    y: &mut [[f64; 2]],
    params: &TsneParams,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Option<()> {
    let n = y.len();
    let rate = (n as f64 / params.exaggeration / 4.0).max(50.0);
    let mut update = vec![[0.0f64; 2]; n];
    let mut gains = vec![[1.0f64; 2]; n];
    let mut fft = (n >= params.fft_from).then(super::interpolation::Repulsion::default);
    let total = params.iterations;
    for it in 0..total {
        if it % 10 == 0 && !progress(it, total) {
            return None;
        }
        let early = it < params.exaggeration_iterations;
        let (exaggeration, momentum) = if early {
            (params.exaggeration, 0.5)
        } else {
            (1.0, 0.8)
        };
        let grad = gradient(p, y, exaggeration, params, fft.as_mut());
        for i in 0..n {
            for d in 0..2 {
                let g = grad[i][d];
                let gain = &mut gains[i][d];
                *gain = if update[i][d] * g < 0.0 {
                    *gain + 0.2
                } else {
                    *gain * 0.8
                }
                .max(0.01);
                update[i][d] = momentum * update[i][d] - rate * g * *gain;
                y[i][d] += update[i][d];
            }
        }
        // Keep the map centred: the quadtree bounds and the output stay tidy.
        for d in 0..2 {
            let m = y.iter().map(|v| v[d]).sum::<f64>() / n as f64;
            y.iter_mut().for_each(|v| v[d] -= m);
        }
    }
    progress(total, total).then_some(())
}

/// dC/dy: 4·(exaggeration·Σ_j p_ij q̃_ij (y_i − y_j) − Σ_j q̃_ij² (y_i − y_j) / Z)
/// with q̃ = 1/(1 + |y_i − y_j|²) and Z = Σ_{i≠j} q̃_ij.
fn gradient(
    p: &Sparse,
    y: &[[f64; 2]],
    exaggeration: f64,
    params: &TsneParams,
    fft: Option<&mut super::interpolation::Repulsion>,
) -> Vec<[f64; 2]> {
    let n = y.len();
    let attraction = |i: usize| {
        let yi = y[i];
        let mut attr = [0.0f64; 2];
        for (j, pij) in p.row(i) {
            let dx = yi[0] - y[j][0];
            let dy = yi[1] - y[j][1];
            let q = 1.0 / (1.0 + dx * dx + dy * dy);
            attr[0] += pij * q * dx;
            attr[1] += pij * q * dy;
        }
        attr
    };
    let parts: Vec<([f64; 2], [f64; 2], f64)> = match fft {
        Some(fft) => {
            let (rep, z) = fft.forces(y);
            // Z as one sum, carried on the first point (the others add 0).
            rep.into_par_iter()
                .enumerate()
                .map(|(i, r)| (attraction(i), r, if i == 0 { z } else { 0.0 }))
                .collect()
        }
        None => {
            let tree = (n >= params.exact_below).then(|| QuadTree::build(y));
            let theta2 = params.theta * params.theta;
            (0..n)
                .into_par_iter()
                .map(|i| {
                    let (rep, z) = match &tree {
                        Some(t) => t.repulsion(i, y[i], theta2),
                        None => exact_repulsion(i, y),
                    };
                    (attraction(i), rep, z)
                })
                .collect()
        }
    };
    let z: f64 = parts
        .iter()
        .map(|t| t.2)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    parts
        .iter()
        .map(|(a, r, _)| {
            [
                4.0 * (exaggeration * a[0] - r[0] / z),
                4.0 * (exaggeration * a[1] - r[1] / z),
            ]
        })
        .collect()
}

fn exact_repulsion(i: usize, y: &[[f64; 2]]) -> ([f64; 2], f64) {
    let yi = y[i];
    let (mut rep, mut z) = ([0.0f64; 2], 0.0f64);
    for (j, yj) in y.iter().enumerate() {
        if j == i {
            continue;
        }
        let dx = yi[0] - yj[0];
        let dy = yi[1] - yj[1];
        let q = 1.0 / (1.0 + dx * dx + dy * dy);
        z += q;
        rep[0] += q * q * dx;
        rep[1] += q * q * dy;
    }
    (rep, z)
}

/// Points per leaf; also the fallback when cells stop splitting points
/// that sit at (almost) the same place.
const LEAF: usize = 4;
const MAX_DEPTH: u32 = 30;

#[derive(Debug, Clone)]
struct Cell {
    width: f64,
    com: [f64; 2],
    count: f64,
    /// Children (indices into `cells`), empty for a leaf.
    children: Vec<u32>,
    /// Leaf points: a range of `order`.
    points: (usize, usize),
}

/// A quadtree over the current map, built by recursive partition (no
/// insertion order, so it is the same on every run).
struct QuadTree {
    cells: Vec<Cell>,
    order: Vec<u32>,
    y: Vec<[f64; 2]>,
}

impl QuadTree {
    fn build(y: &[[f64; 2]]) -> QuadTree {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in y {
            for d in 0..2 {
                lo[d] = lo[d].min(p[d]);
                hi[d] = hi[d].max(p[d]);
            }
        }
        let center = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
        let half = ((hi[0] - lo[0]).max(hi[1] - lo[1]) / 2.0).max(1e-12) * (1.0 + 1e-9);
        let mut t = QuadTree {
            cells: Vec::with_capacity(2 * y.len() / LEAF + 8),
            order: (0..y.len() as u32).collect(),
            y: y.to_vec(),
        };
        t.split(0, y.len(), center, half, 0);
        t
    }

    /// Make the cell for `order[a..b]`; returns its index.
    fn split(&mut self, a: usize, b: usize, center: [f64; 2], half: f64, depth: u32) -> u32 {
        let id = self.cells.len() as u32;
        let mut com = [0.0f64; 2];
        for &k in &self.order[a..b] {
            com[0] += self.y[k as usize][0];
            com[1] += self.y[k as usize][1];
        }
        let count = (b - a) as f64;
        com = [com[0] / count, com[1] / count];
        self.cells.push(Cell {
            width: 2.0 * half,
            com,
            count,
            children: Vec::new(),
            points: (a, b),
        });
        if b - a <= LEAF || depth >= MAX_DEPTH {
            return id;
        }
        // Stable partition into quadrants 0..4 (x ≥ cx adds 1, y ≥ cy adds 2).
        let quadrant =
            |p: [f64; 2]| usize::from(p[0] >= center[0]) + 2 * usize::from(p[1] >= center[1]);
        let mut buckets: [Vec<u32>; 4] = Default::default();
        for &k in &self.order[a..b] {
            buckets[quadrant(self.y[k as usize])].push(k);
        }
        let mut at = a;
        let mut ranges = [(0usize, 0usize); 4];
        for (q, bucket) in buckets.iter().enumerate() {
            self.order[at..at + bucket.len()].copy_from_slice(bucket);
            ranges[q] = (at, at + bucket.len());
            at += bucket.len();
        }
        let h = half / 2.0;
        let mut children = Vec::with_capacity(4);
        for (q, &(qa, qb)) in ranges.iter().enumerate() {
            if qb > qa {
                let c = [
                    center[0] + if q & 1 == 1 { h } else { -h },
                    center[1] + if q & 2 == 2 { h } else { -h },
                ];
                children.push(self.split(qa, qb, c, h, depth + 1));
            }
        }
        self.cells[id as usize].children = children;
        id
    }

    /// Repulsive force on point `i` at `yi` and its share of Z.
    fn repulsion(&self, i: usize, yi: [f64; 2], theta2: f64) -> ([f64; 2], f64) {
        let (mut rep, mut z) = ([0.0f64; 2], 0.0f64);
        let mut stack = vec![0u32];
        while let Some(c) = stack.pop() {
            let cell = &self.cells[c as usize];
            if cell.children.is_empty() {
                for &k in &self.order[cell.points.0..cell.points.1] {
                    if k as usize == i {
                        continue;
                    }
                    let yj = self.y[k as usize];
                    let (dx, dy) = (yi[0] - yj[0], yi[1] - yj[1]);
                    let q = 1.0 / (1.0 + dx * dx + dy * dy);
                    z += q;
                    rep[0] += q * q * dx;
                    rep[1] += q * q * dy;
                }
                continue;
            }
            let (dx, dy) = (yi[0] - cell.com[0], yi[1] - cell.com[1]);
            let d2 = dx * dx + dy * dy;
            if cell.width * cell.width < theta2 * d2 {
                let q = 1.0 / (1.0 + d2);
                z += cell.count * q;
                rep[0] += cell.count * q * q * dx;
                rep[1] += cell.count * q * q * dy;
            } else {
                stack.extend(cell.children.iter().rev());
            }
        }
        (rep, z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(per: usize, k: usize, dims: usize) -> Vec<Vec<f32>> {
        // Deterministic pseudo-noise around k well separated centres.
        let mut s = 12345u64;
        let mut r = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
        };
        (0..per * k)
            .map(|i| {
                let c = i % k;
                (0..dims)
                    .map(|d| if d % k == c { 8.0 } else { 0.0 } + r())
                    .collect()
            })
            .collect()
    }

    fn quick() -> TsneParams {
        TsneParams {
            iterations: 400,
            exaggeration_iterations: 100,
            ..TsneParams::default()
        }
    }

    /// Share of points whose nearest map neighbour has the same blob.
    fn map_purity(y: &[[f32; 2]], k: usize) -> f64 {
        let mut ok = 0;
        for i in 0..y.len() {
            let j = (0..y.len())
                .filter(|&j| j != i)
                .min_by(|&a, &b| {
                    let da = (y[a][0] - y[i][0]).powi(2) + (y[a][1] - y[i][1]).powi(2);
                    let db = (y[b][0] - y[i][0]).powi(2) + (y[b][1] - y[i][1]).powi(2);
                    da.total_cmp(&db)
                })
                .unwrap_or(i);
            ok += usize::from(i % k == j % k);
        }
        ok as f64 / y.len() as f64
    }

    #[test]
    fn separates_blobs_exact_and_barnes_hut_reproducibly() {
        let rows = blobs(40, 4, 12);
        let exact = tsne(&rows, &quick(), &mut |_, _| true).unwrap();
        let bh_params = TsneParams {
            exact_below: 0,
            ..quick()
        };
        let bh = tsne(&rows, &bh_params, &mut |_, _| true).unwrap();
        assert!(map_purity(&exact, 4) > 0.95, "{}", map_purity(&exact, 4));
        assert!(map_purity(&bh, 4) > 0.95, "{}", map_purity(&bh, 4));
        assert_eq!(bh, tsne(&rows, &bh_params, &mut |_, _| true).unwrap());
        // FFT-accelerated repulsion and NN-descent neighbours.
        let fft_params = TsneParams {
            fft_from: 0,
            exact_neighbours_below: 0,
            ..quick()
        };
        let fft = tsne(&rows, &fft_params, &mut |_, _| true).unwrap();
        assert!(map_purity(&fft, 4) > 0.95, "{}", map_purity(&fft, 4));
        assert_eq!(fft, tsne(&rows, &fft_params, &mut |_, _| true).unwrap());
        assert!(exact.iter().flatten().all(|v| v.is_finite()));
    }

    #[test]
    fn barnes_hut_gradient_matches_exact() {
        let rows = blobs(50, 3, 6);
        let p = affinities(&rows, 30.0, usize::MAX);
        let y: Vec<[f64; 2]> = (0..rows.len())
            .map(|i| [(i as f64 * 0.37).sin() * 3.0, (i as f64 * 0.11).cos() * 2.0])
            .collect();
        let exact = gradient(&p, &y, 1.0, &TsneParams::default(), None);
        let bh = gradient(
            &p,
            &y,
            1.0,
            &TsneParams {
                exact_below: 0,
                theta: 0.2,
                ..TsneParams::default()
            },
            None,
        );
        let norm: f64 = exact.iter().map(|g| g[0].abs() + g[1].abs()).sum();
        let err: f64 = exact
            .iter()
            .zip(&bh)
            .map(|(a, b)| (a[0] - b[0]).abs() + (a[1] - b[1]).abs())
            .sum();
        assert!(err / norm < 0.02, "relative error {}", err / norm);
    }

    #[test]
    fn symmetric_equals_the_sorted_triplets() {
        // The plain construction, bit for bit: every (row, column) triplet
        // of both directions, stably sorted, summed in that order.
        let rows = blobs(30, 3, 5);
        let n = rows.len();
        let conditional: Vec<Vec<(u32, f64)>> = (0..n)
            .map(|i| {
                (1..=7)
                    .map(|d| (((i + d * d) % n) as u32, 1.0 / (d as f64 + i as f64 * 0.01)))
                    .filter(|&(j, _)| j as usize != i)
                    .collect()
            })
            .collect();
        let mut triplets = Vec::new();
        for (i, row) in conditional.iter().enumerate() {
            for &(j, p) in row {
                triplets.push((i as u32, j, p));
                triplets.push((j, i as u32, p));
            }
        }
        triplets.sort_by_key(|t| (t.0, t.1));
        let total: f64 = triplets.iter().map(|t| t.2).sum();
        let mut want: Vec<(u32, u32, f64)> = Vec::new();
        for (i, j, p) in triplets {
            match want.last_mut() {
                Some(last) if (last.0, last.1) == (i, j) => last.2 += p / total,
                _ => want.push((i, j, p / total)),
            }
        }
        let got = symmetric(conditional);
        let got: Vec<(u32, u32, f64)> = (0..n)
            .flat_map(|i| {
                got.row(i)
                    .map(move |(j, v)| (i as u32, j as u32, v))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn affinities_are_a_symmetric_distribution() {
        let rows = blobs(10, 2, 3);
        let p = affinities(&rows, 30.0, usize::MAX);
        let total: f64 = p.val.iter().sum();
        assert!((total - 1.0).abs() < 1e-9);
        for i in 0..rows.len() {
            for (j, v) in p.row(i) {
                let back = p.row(j).find(|&(k, _)| k == i).map(|x| x.1);
                assert_eq!(back, Some(v));
            }
        }
    }

    #[test]
    fn every_small_or_degenerate_input_works() {
        let params = quick();
        let run = |rows: &[Vec<f32>]| tsne(rows, &params, &mut |_, _| true).unwrap();
        assert!(run(&[]).is_empty());
        assert_eq!(run(&[vec![1.0, 2.0]]), vec![[0.0, 0.0]]);
        assert_eq!(run(&vec![vec![5.0f32; 3]; 50]), vec![[0.0, 0.0]; 50]);
        for n in 2..12 {
            let rows: Vec<Vec<f32>> = (0..n).map(|i| vec![i as f32, (i * i) as f32]).collect();
            let y = run(&rows);
            assert_eq!(y.len(), n);
            assert!(y.iter().flatten().all(|v| v.is_finite()), "n = {n}: {y:?}");
        }
        // Duplicates among distinct points, under both repulsion methods.
        let mut dup = blobs(10, 2, 4);
        dup.extend(vec![dup[0].clone(); 20]);
        for exact_below in [0, 10_000] {
            let p = TsneParams {
                exact_below,
                ..params
            };
            let y = tsne(&dup, &p, &mut |_, _| true).unwrap();
            assert!(y.iter().flatten().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn cancels() {
        let rows = blobs(10, 2, 3);
        let mut calls = 0;
        let r = tsne(&rows, &quick(), &mut |_, _| {
            calls += 1;
            calls < 3
        });
        assert!(r.is_none());
        assert_eq!(calls, 3);
    }
}

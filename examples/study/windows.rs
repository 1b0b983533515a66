//! `deep_study` with `MUSIM_STUDY_WINDOWS` set: a track described by the
//! distribution of its patch embeddings instead of their mean (issue 22,
//! item 5). For each budget, the same patches as the product's, each
//! variant's distance is scored alone (raw, and by mutual proximity) and as
//! the embedding part of `fused` (the product's weights, the hand-crafted
//! part unchanged). Variants (comma-separated):
//!
//! - `mean`: the product's embedding (mean of the patches, live dimensions
//!   z-scored, cosine);
//! - `meanstd`: mean ⊕ standard deviation of the z-scored patches per live
//!   dimension, each z-scored over the library, cosine;
//! - `diag`: a diagonal Gaussian per track (variance floor 0.1 of the
//!   library's patch variance), symmetrised KL, log(1 + ·);
//! - `pcaK`: mean of the patches projected on the first K principal
//!   components of the library's patches, whitened, cosine (the control of
//!   `fullK`);
//! - `fullK`: a full-covariance Gaussian on those K components
//!   (covariance + 0.1 I), symmetrised KL, log(1 + ·);
//! - `set`: mean over each patch of its nearest patch in the other track
//!   (cosine distance of z-scored patches), both ways.

use std::time::Instant;

use linfa_linalg::eigh::Eigh;
use ndarray::{Array1, Array2};

use musim::deep::PatchOutputs;
use musim::library::index::{Entry, Index};
use musim::report::compare::Labelled;
use musim::similarity::deep::{distance as cosine, live_dims, DeepPart};
use musim::similarity::kernels;
use musim::similarity::normalize::Normalizer;
use musim::similarity::proximity::{self, Spread};
use musim::similarity::{FusedWeights, Profile, Space};

use crate::matrix::{matrix, print, space_matrix, Matrix};

/// Variance floor of `diag` and ridge of `fullK`, in units of the library's
/// patch variance (1 after z-scoring or whitening).
const FLOOR: f64 = 0.1;

/// Scores every variant in `variants` for every budget.
pub fn run(
    index: &Index,
    tracks: &[(usize, Vec<PatchOutputs>)],
    budgets: &[usize],
    variants: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let names = &index.header.feature_names;
    for &budget in budgets {
        let mut entries: Vec<&Entry> = Vec::new();
        let mut rows: Vec<&[f32]> = Vec::new();
        let mut patches: Vec<Vec<Vec<f32>>> = Vec::new();
        for (i, pieces) in tracks {
            let Some(e) = index.entries.get(*i) else {
                continue;
            };
            let Some(values) = e.values().filter(|v| v.len() == names.len()) else {
                continue;
            };
            let Some(p) = crate::patch_rows(pieces, budget, "pool").filter(|p| !p.is_empty())
            else {
                continue;
            };
            entries.push(e);
            rows.push(values);
            patches.push(p);
        }
        let budget_name = match budget {
            usize::MAX => "all".to_string(),
            b => b.to_string(),
        };
        eprintln!(
            "budget {budget_name}: {} tracks, {:.1} patches a track",
            entries.len(),
            patches.iter().map(Vec::len).sum::<usize>() as f64 / entries.len().max(1) as f64
        );
        let labelled = Labelled::of(&entries);
        let hand = Space::build(Profile::Musim, names, &rows)?;
        let hand = space_matrix(&hand);
        print(&labelled, &format!("{budget_name} musim"), &hand);
        let tracks = Tracks::new(&patches);
        for variant in variants.split(',') {
            let started = Instant::now();
            let Some(raw) = tracks.distances(variant) else {
                return Err(format!("unknown variant {variant:?}").into());
            };
            let seconds = started.elapsed().as_secs_f64();
            let name = format!("{budget_name} {variant}");
            eprintln!("{name}: distances in {seconds:.2} s");
            let mp = mutual_proximity(&raw);
            let fused = fuse(&hand, &mp);
            print(&labelled, &format!("{name} raw"), &raw);
            print(&labelled, &format!("{name} mp"), &mp);
            print(&labelled, &format!("{name} fused"), &fused);
        }
    }
    Ok(())
}

/// `fused` with the product's weights: the hand-crafted distances `hand`
/// (`musim`'s) and a variant's mutual-proximity distances `mp`.
pub fn fuse(hand: &Matrix, mp: &Matrix) -> Matrix {
    let w = FusedWeights::DEFAULT.deep;
    hand.iter()
        .zip(mp)
        .map(|(h, m)| {
            h.iter()
                .zip(m)
                .map(|(h, m)| (1.0 - w) * h + w * m)
                .collect()
        })
        .collect()
}

/// `fused` of tracks with patches `patches` and `musim` distances `hand`,
/// `variant` (as [`run`] reads it) as its deep part; `None` for an unknown
/// variant (`study/bootstrap.rs`).
pub fn fused_of(hand: &Matrix, patches: &[Vec<Vec<f32>>], variant: &str) -> Option<Matrix> {
    let raw = Tracks::new(patches).distances(variant)?;
    Some(fuse(hand, &mutual_proximity(&raw)))
}

/// Each distance replaced by its mutual proximity, every track's spread
/// measured against all the others (the product's sample, below 1000
/// tracks).
pub fn mutual_proximity(d: &Matrix) -> Matrix {
    let spreads: Vec<Spread> = d
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let others = row.iter().enumerate().filter(|&(j, _)| j != i);
            Spread::of(others.map(|(_, &v)| v))
        })
        .collect();
    matrix(d.len(), |i| {
        (0..d.len())
            .map(|j| proximity::distance(d[i][j], &spreads[i], &spreads[j]))
            .collect()
    })
}

/// The study's tracks: their patches, z-scored over the library's live
/// dimensions.
struct Tracks {
    /// The product's part: mean embeddings, ready to compare.
    mean: DeepPart,
    /// Per track, its z-scored patches.
    z: Vec<Vec<Vec<f32>>>,
}

impl Tracks {
    fn new(patches: &[Vec<Vec<f32>>]) -> Tracks {
        let means: Vec<Vec<f32>> = patches.iter().map(|p| mean(p)).collect();
        let refs: Vec<&[f32]> = means.iter().map(Vec::as_slice).collect();
        let dims = live_dims(&refs);
        let picked: Vec<Vec<Vec<f32>>> = patches
            .iter()
            .map(|p| {
                p.iter()
                    .map(|r| dims.iter().map(|&d| r[d as usize]).collect())
                    .collect()
            })
            .collect();
        let all: Vec<&[f32]> = picked.iter().flatten().map(Vec::as_slice).collect();
        let n = Normalizer::fit(&all, dims.len());
        let z = picked
            .iter()
            .map(|p| p.iter().map(|r| n.apply(r)).collect())
            .collect();
        Tracks {
            mean: DeepPart::build(&refs),
            z,
        }
    }

    /// The distances of `variant`, or `None` for an unknown one.
    fn distances(&self, variant: &str) -> Option<Matrix> {
        let n = self.z.len();
        if let Some(k) = variant.strip_prefix("pca") {
            let units: Vec<Vec<f32>> = self
                .projected(k.parse().ok()?)
                .iter()
                .map(|p| kernels::unit(&mean(p)))
                .collect();
            return Some(matrix(n, |i| {
                units.iter().map(|u| cosine(&units[i], u)).collect()
            }));
        }
        if let Some(k) = variant.strip_prefix("full") {
            let k: usize = k.parse().ok()?;
            let g: Vec<Full> = self.projected(k).iter().map(|p| Full::of(p, k)).collect();
            return Some(matrix(n, |i| {
                g.iter().map(|b| g[i].skl(b).ln_1p()).collect()
            }));
        }
        Some(match variant {
            "mean" => {
                let u = &self.mean.unit;
                matrix(n, |i| u.iter().map(|v| cosine(&u[i], v)).collect())
            }
            "meanstd" => {
                let rows: Vec<Vec<f32>> = self
                    .z
                    .iter()
                    .map(|p| {
                        let (m, v) = moments(p);
                        m.iter()
                            .map(|&m| m as f32)
                            .chain(v.iter().map(|&v| v.sqrt() as f32))
                            .collect()
                    })
                    .collect();
                let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
                let norm = Normalizer::fit(&refs, refs.first().map_or(0, |r| r.len()));
                let u: Vec<Vec<f32>> = rows.iter().map(|r| kernels::unit(&norm.apply(r))).collect();
                matrix(n, |i| u.iter().map(|v| cosine(&u[i], v)).collect())
            }
            "diag" => {
                let g: Vec<(Vec<f64>, Vec<f64>)> = self
                    .z
                    .iter()
                    .map(|p| {
                        let (m, v) = moments(p);
                        (m, v.iter().map(|v| v + FLOOR).collect())
                    })
                    .collect();
                matrix(n, |i| {
                    g.iter().map(|b| diagonal_skl(&g[i], b).ln_1p()).collect()
                })
            }
            "set" => {
                let u: Vec<Vec<Vec<f32>>> = self
                    .z
                    .iter()
                    .map(|p| p.iter().map(|r| kernels::unit(r)).collect())
                    .collect();
                matrix(n, |i| u.iter().map(|b| chamfer(&u[i], b)).collect())
            }
            _ => return None,
        })
    }

    /// Every track's patches on the first `k` principal components of the
    /// library's patches, each component scaled to unit variance.
    fn projected(&self, k: usize) -> Vec<Vec<Vec<f32>>> {
        let d = self.z.first().and_then(|p| p.first()).map_or(0, Vec::len);
        let all: Vec<&Vec<f32>> = self.z.iter().flatten().collect();
        let mut cov = Array2::<f64>::zeros((d, d));
        for r in &all {
            let v = Array1::from_iter(r.iter().map(|&x| f64::from(x)));
            cov += &(v
                .view()
                .insert_axis(ndarray::Axis(1))
                .dot(&v.view().insert_axis(ndarray::Axis(0))));
        }
        cov /= all.len().max(1) as f64;
        let Ok((vals, vecs)) = cov.eigh() else {
            return Vec::new();
        };
        // Largest first.
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| vals[b].total_cmp(&vals[a]));
        let axes: Vec<(Vec<f64>, f64)> = order
            .iter()
            .take(k)
            .map(|&c| (vecs.column(c).to_vec(), vals[c].max(1e-12).sqrt()))
            .collect();
        self.z
            .iter()
            .map(|p| {
                p.iter()
                    .map(|r| {
                        axes.iter()
                            .map(|(a, s)| {
                                let dot: f64 =
                                    a.iter().zip(r).map(|(a, &x)| a * f64::from(x)).sum();
                                (dot / s) as f32
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    }
}

/// The mean of `rows`.
fn mean(rows: &[Vec<f32>]) -> Vec<f32> {
    moments(rows).0.iter().map(|&m| m as f32).collect()
}

/// Per dimension, the mean and variance (ddof 0) of `rows`.
fn moments(rows: &[Vec<f32>]) -> (Vec<f64>, Vec<f64>) {
    let d = rows.first().map_or(0, Vec::len);
    let n = rows.len().max(1) as f64;
    let mut m = vec![0.0f64; d];
    let mut q = vec![0.0f64; d];
    for r in rows {
        for ((m, q), &x) in m.iter_mut().zip(q.iter_mut()).zip(r) {
            *m += f64::from(x);
            *q += f64::from(x) * f64::from(x);
        }
    }
    for (m, q) in m.iter_mut().zip(q.iter_mut()) {
        *m /= n;
        *q = (*q / n - *m * *m).max(0.0);
    }
    (m, q)
}

/// Symmetrised KL divergence of two diagonal Gaussians (mean, variance).
fn diagonal_skl(a: &(Vec<f64>, Vec<f64>), b: &(Vec<f64>, Vec<f64>)) -> f64 {
    let mut s = 0.0;
    for (((ma, va), mb), vb) in a.0.iter().zip(&a.1).zip(&b.0).zip(&b.1) {
        let dm = ma - mb;
        s += va / vb + vb / va - 2.0 + dm * dm * (1.0 / va + 1.0 / vb);
    }
    0.5 * s
}

/// Mean over `a`'s unit rows of the cosine distance to their nearest row
/// of `b`, and the same from `b`, averaged.
fn chamfer(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    let near = |x: &[Vec<f32>], y: &[Vec<f32>]| -> f64 {
        x.iter()
            .map(|p| y.iter().map(|q| cosine(p, q)).fold(f64::INFINITY, f64::min))
            .sum::<f64>()
            / x.len().max(1) as f64
    };
    0.5 * (near(a, b) + near(b, a))
}

/// A full-covariance Gaussian: mean, covariance (with the ridge) and its
/// inverse.
struct Full {
    mean: Array1<f64>,
    cov: Array2<f64>,
    inv: Array2<f64>,
}

impl Full {
    /// The Gaussian of `rows` (`k` values each), covariance + [`FLOOR`]·I.
    fn of(rows: &[Vec<f32>], k: usize) -> Full {
        let n = rows.len().max(1) as f64;
        let x = Array2::from_shape_fn((rows.len(), k), |(i, j)| f64::from(rows[i][j]));
        let mean = x
            .mean_axis(ndarray::Axis(0))
            .unwrap_or_else(|| Array1::zeros(k));
        let c = &x - &mean;
        let cov = c.t().dot(&c) / n + Array2::<f64>::eye(k) * FLOOR;
        let inv = match cov.clone().eigh() {
            Ok((vals, vecs)) => {
                let scaled = &vecs / &vals.mapv(|v| v.max(1e-12));
                scaled.dot(&vecs.t())
            }
            Err(_) => Array2::eye(k),
        };
        Full { mean, cov, inv }
    }

    /// Symmetrised KL divergence (the log-determinants cancel).
    fn skl(&self, b: &Full) -> f64 {
        let k = self.mean.len() as f64;
        let tr = (&b.inv * &self.cov).sum() + (&self.inv * &b.cov).sum();
        let dm = &self.mean - &b.mean;
        let maha = dm.dot(&(&self.inv + &b.inv).dot(&dm));
        (0.5 * (tr + maha) - k).max(0.0)
    }
}

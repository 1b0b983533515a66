//! `deep_study` with `MUSIM_STUDY_RERANK` set: the product's `fused`
//! distance matrix of a corpus (the index's own embeddings), re-ranked by
//! each track's neighbours' neighbours, scored as `report --compare` does
//! (issue 22; methods, grids and the decision rule in docs/PERFORMANCE.md,
//! "Re-ranking the neighbour lists"). `MUSIM_STUDY_RERANK=grid` scores
//! every setting of every grid; otherwise a comma-separated list of
//! settings, e.g. `krecip:20/6/0.3,qe:3/1,snn:10/0,diffuse:10/0.9`.
//! `krecip` runs `study/kreciprocal.rs`, written as a product would use it.

use std::time::Instant;

use linfa_linalg::eigh::Eigh;
use ndarray::Array2;

use musim::library::index::Index;
use musim::report::compare::Labelled;
use musim::similarity::{Profile, Space};

use crate::kreciprocal::KReciprocal;
use crate::matrix::{compared, print, space_matrix, Matrix};

type Error = Box<dyn std::error::Error>;

/// One setting of one method.
#[derive(Debug, Clone, Copy)]
enum Method {
    /// k-reciprocal re-ranking (Zhong et al. 2017): k1, k2, λ.
    KReciprocal(usize, usize, f64),
    /// The same without dividing each row by its largest distance (what
    /// a neighbour list alone allows).
    KReciprocalRaw(usize, usize, f64),
    /// α-weighted query expansion with database-side augmentation: n, α.
    Expansion(usize, f64),
    /// Shared nearest neighbours: k, λ.
    Shared(usize, f64),
    /// Diffusion on the mutual kNN graph (Iscen et al. 2017): k, α.
    Diffusion(usize, f64),
}

impl Method {
    /// Every setting of the committed grids, in the order ties go by.
    fn grid() -> Vec<Method> {
        let mut all = Vec::new();
        for k1 in [5, 10, 15, 20] {
            for k2 in [1, 3, 6] {
                for l in [0.1, 0.3, 0.6] {
                    all.push(Method::KReciprocal(k1, k2, l));
                }
            }
        }
        for n in [1, 2, 3, 5, 8] {
            for a in [0.0, 1.0, 3.0] {
                all.push(Method::Expansion(n, a));
            }
        }
        for k in [5, 10, 20, 30] {
            for l in [0.0, 0.3] {
                all.push(Method::Shared(k, l));
            }
        }
        for k in [5, 10, 20] {
            for a in [0.8, 0.9, 0.99] {
                all.push(Method::Diffusion(k, a));
            }
        }
        all
    }

    /// A setting as written, e.g. `krecip:20/6/0.3`.
    fn parse(text: &str) -> Result<Method, Error> {
        let bad = || {
            format!("re-ranking {text:?}: want e.g. krecip:20/6/0.3, qe:3/1, snn:10/0 or diffuse:10/0.9")
        };
        let (name, params) = text.split_once(':').ok_or_else(bad)?;
        let p: Vec<f64> = params
            .split('/')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        let count = |v: f64| -> Result<usize, Error> {
            (v >= 1.0 && v.fract() == 0.0)
                .then_some(v as usize)
                .ok_or_else(|| bad().into())
        };
        Ok(match (name, &p[..]) {
            ("krecip", &[k1, k2, l]) => Method::KReciprocal(count(k1)?, count(k2)?, l),
            ("krecipraw", &[k1, k2, l]) => Method::KReciprocalRaw(count(k1)?, count(k2)?, l),
            ("qe", &[n, a]) => Method::Expansion(count(n)?, a),
            ("snn", &[k, l]) => Method::Shared(count(k)?, l),
            ("diffuse", &[k, a]) => Method::Diffusion(count(k)?, a),
            _ => return Err(bad().into()),
        })
    }

    /// The setting as [`Method::parse`] reads it.
    fn name(&self) -> String {
        match self {
            Method::KReciprocal(k1, k2, l) => format!("krecip:{k1}/{k2}/{l}"),
            Method::KReciprocalRaw(k1, k2, l) => format!("krecipraw:{k1}/{k2}/{l}"),
            Method::Expansion(n, a) => format!("qe:{n}/{a}"),
            Method::Shared(k, l) => format!("snn:{k}/{l}"),
            Method::Diffusion(k, a) => format!("diffuse:{k}/{a}"),
        }
    }

    /// `d` re-ranked.
    fn apply(&self, d: &Matrix) -> Matrix {
        match *self {
            Method::KReciprocal(k1, k2, l) => k_reciprocal(d, k1, k2, l, true),
            Method::KReciprocalRaw(k1, k2, l) => k_reciprocal(d, k1, k2, l, false),
            Method::Expansion(n, a) => expansion(d, n, a),
            Method::Shared(k, l) => shared(d, k, l),
            Method::Diffusion(k, a) => diffusion(d, k, a),
        }
    }
}

/// Scores the product's `fused` and each setting of `spec` on `index`.
pub fn run(index: &Index, spec: &str) -> Result<(), Error> {
    let methods = match spec {
        "grid" => Method::grid(),
        list => list
            .split(',')
            .map(Method::parse)
            .collect::<Result<_, _>>()?,
    };
    let (entries, rows, embeddings) = compared(index);
    let space = Space::build_with(
        Profile::Fused,
        &index.header.feature_names,
        &rows,
        Some(&embeddings),
    )?;
    let mut d = space_matrix(&space);
    for (i, row) in d.iter_mut().enumerate() {
        row[i] = 0.0;
    }
    let maxima: Vec<f64> = d
        .iter()
        .map(|r| r.iter().copied().fold(0.0, f64::max))
        .collect();
    eprintln!(
        "{} tracks; each row's largest distance in {:.4}..{:.4}",
        d.len(),
        maxima.iter().copied().fold(f64::INFINITY, f64::min),
        maxima.iter().copied().fold(0.0, f64::max)
    );
    let labelled = Labelled::of(&entries);
    print(&labelled, "fused", &d);
    for m in methods {
        let started = Instant::now();
        let re = m.apply(&d);
        let seconds = started.elapsed().as_secs_f64();
        let name = m.name();
        eprintln!("{name}: {seconds:.3} s");
        print(&labelled, &name, &re);
    }
    Ok(())
}

/// Every track's others in order of `d`, the track itself first.
fn ranks(d: &Matrix) -> Vec<Vec<usize>> {
    (0..d.len())
        .map(|i| {
            let mut r: Vec<usize> = (0..d.len()).filter(|&j| j != i).collect();
            r.sort_by(|&a, &b| d[i][a].total_cmp(&d[i][b]));
            r.insert(0, i);
            r
        })
        .collect()
}

/// k-reciprocal re-ranking by `study/kreciprocal.rs`, with each track's
/// largest distance (`row_max`) or without (every scale 1).
pub fn k_reciprocal(d: &Matrix, k1: usize, k2: usize, lambda: f64, row_max: bool) -> Matrix {
    let kr = KReciprocal { k1, k2, lambda };
    let near: Vec<Vec<u32>> = ranks(d)
        .iter()
        .map(|r| {
            r[1..]
                .iter()
                .take(kr.list_len())
                .map(|&j| j as u32)
                .collect()
        })
        .collect();
    let max: Vec<f64> = d
        .iter()
        .map(|r| match row_max {
            true => r.iter().copied().fold(0.0, f64::max),
            false => 1.0,
        })
        .collect();
    let enc = kr.encode(&near, &max, |i, j| d[i][j]);
    (0..d.len())
        .map(|i| (0..d.len()).map(|j| enc.distance(i, j, d[i][j])).collect())
        .collect()
}

/// α-weighted query expansion and database-side augmentation in distance
/// form: d′ = W d Wᵀ, W's row i the track itself (weight 1) and its `n`
/// nearest (weights (1 − d)^α), normalised.
fn expansion(d: &Matrix, n: usize, alpha: f64) -> Matrix {
    let ranks = ranks(d);
    let w: Vec<Vec<(usize, f64)>> = (0..d.len())
        .map(|i| {
            let near = &ranks[i][..(n + 1).min(d.len())];
            let raw: Vec<(usize, f64)> = near
                .iter()
                .map(|&a| (a, (1.0 - d[i][a]).max(0.0).powf(alpha)))
                .collect();
            let sum: f64 = raw
                .iter()
                .map(|(_, w)| w)
                .sum::<f64>()
                .max(f64::MIN_POSITIVE);
            raw.into_iter().map(|(a, w)| (a, w / sum)).collect()
        })
        .collect();
    // d Wᵀ first: each row of d mixed over the other side's expansion.
    let dw: Matrix = d
        .iter()
        .map(|row| {
            w.iter()
                .map(|wj| wj.iter().map(|&(b, x)| x * row[b]).sum())
                .collect()
        })
        .collect();
    w.iter()
        .map(|wi| {
            (0..d.len())
                .map(|j| wi.iter().map(|&(a, x)| x * dw[a][j]).sum())
                .collect()
        })
        .collect()
}

/// Shared nearest neighbours: 1 − the share of the two `k`-NN lists in
/// common, mixed with `lambda` of `d` (ties broken by `d` at 0).
fn shared(d: &Matrix, k: usize, lambda: f64) -> Matrix {
    let ranks = ranks(d);
    let mut lists: Vec<Vec<usize>> = ranks
        .iter()
        .map(|r| r[1..(k + 1).min(r.len())].to_vec())
        .collect();
    for l in &mut lists {
        l.sort_unstable();
    }
    let common = |a: &[usize], b: &[usize]| {
        let (mut x, mut y, mut c) = (0, 0, 0);
        while x < a.len() && y < b.len() {
            match a[x].cmp(&b[y]) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    c += 1;
                    x += 1;
                    y += 1;
                }
            }
        }
        c
    };
    let tie = if lambda > 0.0 { lambda } else { 1e-6 };
    (0..d.len())
        .map(|i| {
            (0..d.len())
                .map(|j| {
                    let snn = 1.0 - common(&lists[i], &lists[j]) as f64 / k as f64;
                    (1.0 - lambda) * snn + tie * d[i][j]
                })
                .collect()
        })
        .collect()
}

/// Diffusion: f = (I − αS)⁻¹ eᵢ on the mutual `k`-NN graph, affinities
/// (1 − d)³, S symmetrically normalised; distance −f (ties, e.g. tracks in
/// another component, broken by `d`).
fn diffusion(d: &Matrix, k: usize, alpha: f64) -> Matrix {
    let n = d.len();
    let ranks = ranks(d);
    let near = |i: usize, j: usize| ranks[i][1..(k + 1).min(n)].contains(&j);
    let a = Array2::from_shape_fn((n, n), |(i, j)| {
        if i != j && near(i, j) && near(j, i) {
            (1.0 - d[i][j]).max(0.0).powi(3)
        } else {
            0.0
        }
    });
    let deg: Vec<f64> = a.rows().into_iter().map(|r| r.sum()).collect();
    let scale = |x: f64| if x > 0.0 { 1.0 / x.sqrt() } else { 0.0 };
    let s = Array2::from_shape_fn((n, n), |(i, j)| a[(i, j)] * scale(deg[i]) * scale(deg[j]));
    // S is symmetric: (I − αS)⁻¹ = V diag(1 / (1 − αλ)) Vᵀ.
    let Ok((vals, vecs)) = s.eigh() else {
        return d.clone();
    };
    let inv = vals.mapv(|l| 1.0 / (1.0 - alpha * l).max(1e-12));
    let f = (&vecs * &inv).dot(&vecs.t());
    (0..n)
        .map(|i| (0..n).map(|j| -f[(i, j)] + 1e-9 * d[i][j]).collect())
        .collect()
}

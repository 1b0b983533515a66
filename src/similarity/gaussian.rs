//! Distance between two tracks' timbre Gaussians: the symmetrised
//! Kullback–Leibler divergence, arranged as dot products so a whole row
//! of distances costs one pass over precomputed vectors.
//!
//! For Gaussians a, b with means μ, covariances Σ and precisions P = Σ⁻¹:
//! 2·SKL = tr(PₐΣ_b) + tr(P_bΣₐ) + (μₐ−μ_b)ᵀ(Pₐ+P_b)(μₐ−μ_b) − 2d
//!       = uₐ·v_b + u_b·vₐ + cₐ + c_b − 2d, with
//! u = [P (off-diagonal doubled), −2Pμ], v = [Σ + μμᵀ, μ], c = μᵀPμ.

use super::kernels::{self, Isa, Rows, LANES64};
use crate::features::timbre::{tri_index, DIMS, STORED};

/// Length of the `u` and `v` vectors (their values; they are stored
/// zero-padded to [`PADDED`]).
pub const LEN: usize = STORED;
/// Stored length of the `u` and `v` vectors: [`LEN`] rounded up to whole
/// kernel lanes.
pub const PADDED: usize = LEN.div_ceil(LANES64) * LANES64;

/// A track's Gaussian, prepared for [`skl`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Prepared {
    /// Precision part ([`PADDED`] values).
    pub u: Vec<f64>,
    /// Moment part ([`PADDED`] values).
    pub v: Vec<f64>,
    /// μᵀPμ.
    pub c: f64,
}

impl Prepared {
    /// A view for [`skl`].
    pub fn view(&self) -> View<'_> {
        View {
            u: &self.u,
            v: &self.v,
            c: self.c,
        }
    }
}

/// A prepared Gaussian wherever it is stored.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// Precision part.
    pub u: &'a [f64],
    /// Moment part.
    pub v: &'a [f64],
    /// μᵀPμ.
    pub c: f64,
}

/// Many prepared Gaussians in flat storage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    u: Rows<f64>,
    v: Rows<f64>,
    c: Vec<f64>,
}

impl Table {
    /// The table of `gaussians`.
    pub fn new(gaussians: &[Prepared]) -> Table {
        Table {
            u: Rows::new(gaussians.iter().map(|g| g.u.as_slice()), PADDED, LANES64),
            v: Rows::new(gaussians.iter().map(|g| g.v.as_slice()), PADDED, LANES64),
            c: gaussians.iter().map(|g| g.c).collect(),
        }
    }

    /// Appends `g`.
    pub fn push(&mut self, g: &Prepared) {
        self.u.push(&g.u);
        self.v.push(&g.v);
        self.c.push(g.c);
    }

    /// Keeps the Gaussians `i` for which `keep(i)`, in order.
    pub fn retain(&mut self, keep: impl Fn(usize) -> bool) {
        self.u.retain(&keep);
        self.v.retain(&keep);
        let mut i = 0;
        self.c.retain(|_| {
            i += 1;
            keep(i - 1)
        });
    }

    /// Gaussian `i`, if there is one.
    #[inline(always)]
    pub fn get(&self, i: usize) -> Option<View<'_>> {
        Some(View {
            c: *self.c.get(i)?,
            u: self.u.row(i),
            v: self.v.row(i),
        })
    }

    /// A copy of Gaussian `i`.
    pub fn prepared(&self, i: usize) -> Option<Prepared> {
        self.get(i).map(|g| Prepared {
            u: g.u.to_vec(),
            v: g.v.to_vec(),
            c: g.c,
        })
    }
}

/// Smallest variance added to the diagonal (MFCC units², ≈ dB²): a
/// silent or perfectly steady track has a zero covariance, which no
/// divergence can use; this floor treats it as a very narrow Gaussian.
const FLOOR: f64 = 1e-2;
/// Share of the mean variance added to the diagonal of every covariance,
/// so nearly singular ones (a pure tone, a 2-s file) stay well conditioned.
const RIDGE: f64 = 1e-3;

/// Prepare the stored Gaussian `g` (mean then upper-triangle covariance,
/// [`STORED`] values), with its mean shifted by `-centre` (SKL depends only
/// on mean differences; centring keeps the dot products small and exact).
/// Returns `None` if `g` is too short.
pub fn prepare(g: &[f32], centre: &[f64]) -> Option<Prepared> {
    if g.len() < STORED || centre.len() < DIMS {
        return None;
    }
    let mu: Vec<f64> = (0..DIMS).map(|i| g[i] as f64 - centre[i]).collect();
    let cov = |i: usize, j: usize| g[DIMS + tri_index(i, j)] as f64;
    let mean_var = (0..DIMS).map(|i| cov(i, i).max(0.0)).sum::<f64>() / DIMS as f64;
    let mut ridge = (RIDGE * mean_var).max(FLOOR);
    let p = loop {
        let mut s = vec![0.0f64; DIMS * DIMS];
        for i in 0..DIMS {
            for j in 0..DIMS {
                s[i * DIMS + j] = cov(i, j);
            }
            s[i * DIMS + i] = s[i * DIMS + i].max(0.0) + ridge;
        }
        match invert_spd(&s) {
            Some(p) => break p,
            // Not positive definite after rounding: regularise harder.
            None if ridge < 1e12 => ridge *= 10.0,
            None => return None,
        }
    };
    let pmu: Vec<f64> = (0..DIMS)
        .map(|i| (0..DIMS).map(|j| p[i * DIMS + j] * mu[j]).sum())
        .collect();
    let c = mu.iter().zip(&pmu).map(|(a, b)| a * b).sum();
    let mut u = vec![0.0f64; PADDED];
    let mut v = vec![0.0f64; PADDED];
    for i in 0..DIMS {
        for j in i..DIMS {
            let t = DIMS + tri_index(i, j);
            let twice = if i == j { 1.0 } else { 2.0 };
            u[t] = twice * p[i * DIMS + j];
            let var = if i == j {
                cov(i, i).max(0.0) + ridge
            } else {
                cov(i, j)
            };
            v[t] = var + mu[i] * mu[j];
        }
        u[i] = -2.0 * pmu[i];
        v[i] = mu[i];
    }
    Some(Prepared { u, v, c })
}

/// Symmetrised KL divergence of two prepared Gaussians (≥ 0); exactly
/// symmetric in a and b.
#[inline(always)]
pub fn skl(isa: Isa, a: View, b: View) -> f64 {
    skl_of(kernels::cross64(isa, a.u, a.v, b.u, b.v), a.c, b.c)
}

/// [`skl`] from the cross product `a.u·b.v + b.u·a.v` and the two `c`s.
#[inline(always)]
pub fn skl_of(cross: f64, ac: f64, bc: f64) -> f64 {
    (0.5 * (cross + (ac + bc)) - DIMS as f64).max(0.0)
}

/// [`skl`] of `a` with four Gaussians at once (see
/// [`kernels::cross64x4`]); the same results to the bit.
#[inline(always)]
pub fn skl_x4(isa: Isa, a: View, b: [View; 4]) -> [f64; 4] {
    let cross = kernels::cross64x4(isa, a.u, a.v, b.map(|g| g.u), b.map(|g| g.v));
    [0, 1, 2, 3].map(|c| skl_of(cross[c], a.c, b[c].c))
}

/// The timbre distance used for similarity: log(1 + SKL). The divergence
/// has a very long tail (a near-silent track is thousands away from
/// everything); the logarithm keeps the per-track distance statistics of
/// mutual proximity meaningful.
#[inline(always)]
pub fn distance(isa: Isa, a: View, b: View) -> f64 {
    super::fastmath::ln_1p(skl(isa, a, b))
}

/// Inverse of a symmetric positive definite `DIMS × DIMS` matrix by
/// Cholesky; `None` if it is not positive definite.
fn invert_spd(s: &[f64]) -> Option<Vec<f64>> {
    let n = DIMS;
    let mut l = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = s[i * n + j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum <= 0.0 || !sum.is_finite() {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    // Solve L·Lᵀ·X = I column by column.
    let mut inv = vec![0.0f64; n * n];
    let mut y = vec![0.0f64; n];
    for col in 0..n {
        for i in 0..n {
            let mut sum = if i == col { 1.0 } else { 0.0 };
            for k in 0..i {
                sum -= l[i * n + k] * y[k];
            }
            y[i] = sum / l[i * n + i];
        }
        for i in (0..n).rev() {
            let mut sum = y[i];
            for k in i + 1..n {
                sum -= l[k * n + i] * inv[k * n + col];
            }
            inv[i * n + col] = sum / l[i * n + i];
        }
    }
    inv.iter().all(|v| v.is_finite()).then_some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored Gaussian with diagonal covariance `var` and mean `mu`.
    fn stored(mu: &[f64], var: &[f64], corr: f64) -> Vec<f32> {
        let mut g = vec![0.0f32; STORED];
        for i in 0..DIMS {
            g[i] = mu[i] as f32;
            for j in i..DIMS {
                let c = if i == j {
                    var[i]
                } else if j == i + 1 {
                    corr * (var[i] * var[j]).sqrt()
                } else {
                    0.0
                };
                g[DIMS + tri_index(i, j)] = c as f32;
            }
        }
        g
    }

    /// SKL computed directly from the definition (dense matrices).
    fn direct(a: &[f32], b: &[f32]) -> f64 {
        let full = |g: &[f32]| -> (Vec<f64>, Vec<f64>) {
            let mu = (0..DIMS).map(|i| g[i] as f64).collect();
            let mean_var = (0..DIMS)
                .map(|i| g[DIMS + tri_index(i, i)] as f64)
                .sum::<f64>()
                / DIMS as f64;
            let ridge = (RIDGE * mean_var).max(FLOOR);
            let mut s = vec![0.0; DIMS * DIMS];
            for i in 0..DIMS {
                for j in 0..DIMS {
                    s[i * DIMS + j] = g[DIMS + tri_index(i, j)] as f64;
                }
                s[i * DIMS + i] += ridge;
            }
            (mu, s)
        };
        let (ma, sa) = full(a);
        let (mb, sb) = full(b);
        let (pa, pb) = (invert_spd(&sa).unwrap(), invert_spd(&sb).unwrap());
        let tr = |p: &[f64], s: &[f64]| -> f64 {
            (0..DIMS)
                .map(|i| {
                    (0..DIMS)
                        .map(|k| p[i * DIMS + k] * s[k * DIMS + i])
                        .sum::<f64>()
                })
                .sum()
        };
        let d: Vec<f64> = ma.iter().zip(&mb).map(|(x, y)| x - y).collect();
        let quad: f64 = (0..DIMS)
            .map(|i| {
                (0..DIMS)
                    .map(|j| d[i] * (pa[i * DIMS + j] + pb[i * DIMS + j]) * d[j])
                    .sum::<f64>()
            })
            .sum();
        0.5 * (tr(&pa, &sb) + tr(&pb, &sa) + quad) - DIMS as f64
    }

    #[test]
    fn dot_product_form_equals_the_definition() {
        let mu_a: Vec<f64> = (0..DIMS)
            .map(|i| (i as f64 * 1.7).sin() * 20.0 + 50.0)
            .collect();
        let mu_b: Vec<f64> = (0..DIMS)
            .map(|i| (i as f64 * 0.9).cos() * 15.0 + 45.0)
            .collect();
        let var_a: Vec<f64> = (0..DIMS).map(|i| 5.0 + i as f64).collect();
        let var_b: Vec<f64> = (0..DIMS).map(|i| 30.0 - i as f64).collect();
        let a = stored(&mu_a, &var_a, 0.4);
        let b = stored(&mu_b, &var_b, -0.3);
        let centre = vec![47.0; DIMS];
        let (pa, pb) = (prepare(&a, &centre).unwrap(), prepare(&b, &centre).unwrap());
        let want = direct(&a, &b);
        let got = skl(Isa::base(), pa.view(), pb.view());
        assert!((got - want).abs() < 1e-6 * want.max(1.0), "{got} vs {want}");
        assert!(skl(Isa::base(), pa.view(), pa.view()).abs() < 1e-6);
        assert_eq!(
            skl(Isa::base(), pa.view(), pb.view()),
            skl(Isa::base(), pb.view(), pa.view())
        );
        // Any centre gives the same divergence.
        let other = vec![0.0; DIMS];
        let (qa, qb) = (prepare(&a, &other).unwrap(), prepare(&b, &other).unwrap());
        assert!((skl(Isa::base(), qa.view(), qb.view()) - got).abs() < 1e-6 * got);
        // The flat table holds the same Gaussians.
        let table = Table::new(&[pa.clone(), pb.clone()]);
        assert_eq!(table.prepared(1), Some(pb.clone()));
        assert!(table.get(2).is_none());
        assert_eq!(
            skl(Isa::base(), table.get(0).unwrap(), table.get(1).unwrap()),
            got
        );
    }

    #[test]
    fn singular_covariances_are_regularised_never_nan() {
        let centre = vec![0.0; DIMS];
        // Silence: constant frames, zero covariance.
        let silent = stored(&[-500.0; DIMS], &[0.0; DIMS], 0.0);
        // A pure tone: one dimension varies, the rest are constant, and two
        // are perfectly correlated (rank-deficient).
        let mut var = vec![0.0; DIMS];
        var[0] = 4.0;
        var[1] = 4.0;
        let tone = stored(&[10.0; DIMS], &var, 1.0);
        // Ordinary music-like Gaussian.
        let music = stored(&[20.0; DIMS], &[25.0; DIMS], 0.2);
        let all: Vec<Prepared> = [silent, tone, music]
            .iter()
            .map(|g| prepare(g, &centre).unwrap())
            .collect();
        for a in &all {
            assert!(a.u.iter().chain(&a.v).all(|v| v.is_finite()) && a.c.is_finite());
            for b in &all {
                let d = distance(Isa::base(), a.view(), b.view());
                assert!(d.is_finite() && d >= 0.0, "{d}");
            }
        }
        // Still a metric-like order: the tone is nearer music than silence is.
        assert!(
            distance(Isa::base(), all[1].view(), all[2].view())
                < distance(Isa::base(), all[0].view(), all[2].view())
        );
        assert!(prepare(&[0.0; 5], &centre).is_none());
    }
}

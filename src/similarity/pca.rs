//! Principal components of centred rows (the `fused` profile's deep part
//! keeps the embedding's top components: [`super::deep`]). The second
//! moments of the rows (the caller's sample: at most [`SAMPLE`] evenly
//! spaced rows of the library), decomposed by
//! `linfa-linalg`'s symmetric eigensolver (pure Rust, already a dependency,
//! as for the learned metric); the same rows give the same components.

use linfa_linalg::eigh::Eigh;
use ndarray::Array2;

/// At most this many rows are fitted: the 426 × 426 moments of 10 000 rows
/// take well under a second, of 100 000 ten times that, for components
/// that differ only by sampling noise.
pub const SAMPLE: usize = 10_000;

/// The `k` leading principal directions (unit rows of `dims` values, in
/// order of variance, largest first) of `rows`, which are centred already
/// (z-scored): the moments are taken about 0, so projecting a row is a
/// plain product. Fewer than `k` when `dims` is smaller; the directions of
/// a set that varies nowhere are some orthonormal basis (every row
/// projects to 0 then anyway). `None` when the eigensolver fails
/// (non-finite values).
pub fn components(rows: &[Vec<f32>], dims: usize, k: usize) -> Option<Vec<Vec<f32>>> {
    let mut x = Array2::<f64>::zeros((rows.len(), dims));
    for (mut out, r) in x.rows_mut().into_iter().zip(rows) {
        for (o, &v) in out.iter_mut().zip(r) {
            *o = f64::from(v);
        }
    }
    let moments = x.t().dot(&x) / (rows.len().max(1) as f64);
    let (values, vectors) = moments.eigh().ok()?;
    let mut order: Vec<usize> = (0..dims).collect();
    // Largest variance first; equal ones in the solver's order.
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    Some(
        order
            .into_iter()
            .take(k)
            .map(|c| {
                let v = vectors.column(c);
                // A direction's sign is arbitrary: fix it (its largest
                // entry positive) so the stored model is the same each time.
                let top = v
                    .iter()
                    .copied()
                    .fold(0.0f64, |t, x| if x.abs() > t.abs() { x } else { t });
                let sign = if top < 0.0 { -1.0 } else { 1.0 };
                v.iter().map(|&x| (sign * x) as f32).collect()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::kernels::dot;

    /// Rows spanned by two known directions of 6 dimensions.
    fn rank_two(n: usize) -> (Vec<Vec<f32>>, [Vec<f32>; 2]) {
        let a = vec![0.5f32, 0.5, 0.5, 0.5, 0.0, 0.0];
        let b = vec![0.0f32, 0.0, 0.0, 0.0, 0.6, 0.8];
        let rows = (0..n)
            .map(|i| {
                let s = 3.0 * ((i as f32 * 0.618).fract() - 0.5);
                let t = (i as f32 * 0.377).fract() - 0.5;
                a.iter().zip(&b).map(|(x, y)| s * x + t * y).collect()
            })
            .collect();
        (rows, [a, b])
    }

    #[test]
    fn a_low_rank_set_gives_back_its_subspace_in_order_the_same_each_time() {
        let (rows, [a, b]) = rank_two(500);
        let c = components(&rows, 6, 3).unwrap();
        assert_eq!(c.len(), 3);
        // The wider direction first, the narrower second (up to sign, here
        // fixed), each unit length and orthogonal to the others.
        assert!((dot(&c[0], &a).abs() - 1.0).abs() < 1e-4, "{:?}", c[0]);
        assert!((dot(&c[1], &b).abs() - 1.0).abs() < 1e-4, "{:?}", c[1]);
        for i in 0..3 {
            assert!((dot(&c[i], &c[i]) - 1.0).abs() < 1e-4);
            for j in 0..i {
                assert!(dot(&c[i], &c[j]).abs() < 1e-4);
            }
        }
        // Every row lies in the first two: its projection keeps its length.
        for r in &rows {
            let kept: f32 = c[..2].iter().map(|d| dot(d, r).powi(2)).sum();
            assert!((kept - dot(r, r)).abs() < 1e-4 * (1.0 + dot(r, r)));
        }
        assert_eq!(components(&rows, 6, 3).unwrap(), c);
        // More asked for than there are dimensions: all of them.
        assert_eq!(components(&rows, 6, 10).unwrap().len(), 6);
    }

    #[test]
    fn a_set_that_varies_nowhere_or_is_empty_still_has_unit_directions() {
        let zeros = vec![vec![0.0f32; 4]; 30];
        for n in [30, 0] {
            let c = components(&zeros[..n], 4, 2).unwrap();
            assert_eq!(c.len(), 2);
            assert!(c.iter().all(|d| (dot(d, d) - 1.0).abs() < 1e-4), "{c:?}");
        }
    }
}

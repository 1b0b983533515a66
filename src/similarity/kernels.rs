//! Small vector kernels of the similarity search, written in 8 explicit
//! lanes so they vectorise (Rust never reorders a float sum by itself).

pub use crate::features::matrix::dot;

/// `v` scaled to unit length (a zero vector stays zero).
pub fn unit(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// Dot product in f64, 4 independent lanes.
#[inline]
pub fn dot64(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (ca, ra) = a[..n].as_chunks::<4>();
    let (cb, rb) = b[..n].as_chunks::<4>();
    let mut acc = [0.0f64; 4];
    for (x, y) in ca.iter().zip(cb) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f64>() + tail
}

/// L1 (Manhattan) distance over the common length of `a` and `b`.
#[inline]
pub fn l1(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            acc[l] += (x[l] - y[l]).abs();
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| (x - y).abs())
        .sum();
    acc.iter().map(|&v| v as f64).sum::<f64>() + tail as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l1_and_unit() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| (i as f32 - 3.0).powi(2) * 0.1).collect();
        let want: f64 = a.iter().zip(&b).map(|(x, y)| (x - y).abs() as f64).sum();
        assert!((l1(&a, &b) - want).abs() < 1e-4);
        assert_eq!(l1(&a, &a), 0.0);
        assert_eq!(l1(&a, &b[..3]), l1(&a[..3], &b[..3]));
        let u = unit(&a);
        assert!((dot(&u, &u) - 1.0).abs() < 1e-5);
        assert_eq!(unit(&[0.0, 0.0]), vec![0.0, 0.0]);
    }
}

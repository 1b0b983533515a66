//! A small dense row-major matrix of f32 (rows = feature dimensions, cols = frames).

/// Dense row-major matrix: `rows` feature rows by `cols` frames.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    /// Number of rows (feature dimensions).
    pub rows: usize,
    /// Number of columns (frames).
    pub cols: usize,
    /// Row-major data, `rows * cols` values.
    pub data: Vec<f32>,
}

impl Matrix {
    /// A zero-filled matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Row `r` as a slice.
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// Row `r` as a mutable slice.
    pub fn row_mut(&mut self, r: usize) -> &mut [f32] {
        &mut self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// Value at (`r`, `c`).
    pub fn get(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.cols + c]
    }

    /// Set the value at (`r`, `c`).
    pub fn set(&mut self, r: usize, c: usize, v: f32) {
        self.data[r * self.cols + c] = v;
    }
}

/// Dot product in 8 independent f32 lanes over fixed-size chunks: a single
/// running sum is a chain of dependent adds that cannot be vectorised (float
/// addition is not associative), and fixed-size arrays let the compiler drop
/// bounds checks and use SIMD registers.
#[inline(always)] // compiled into its caller's AVX2 copy too
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ca, ra) = a[..n].as_chunks::<8>();
    let (cb, rb) = b[..n].as_chunks::<8>();
    let mut acc = [0.0f32; 8];
    for (x, y) in ca.iter().zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

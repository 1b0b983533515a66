//! Delta features (librosa `feature.delta`, width 9, `mode="interp"`): the
//! local slope (order 1) or curvature (order 2) of each row over frames,
//! from a Savitzky–Golay fit of degree `order` over 9 frames.
//!
//! With `mode="interp"` the first and last 4 frames take the derivative of
//! the polynomial fitted to the first/last full window; for degree ≤ 2 that
//! derivative is constant over the window, so the edge frames repeat the
//! value of frame 4 (resp. n − 5).

use super::Matrix;

/// Window of the fit, frames (librosa's default width).
pub const WIDTH: usize = 9;
const HALF: isize = (WIDTH / 2) as isize;

/// Filter taps for derivative `order` (1 or 2), offsets −4..=4.
fn taps(order: u32) -> [f32; WIDTH] {
    let mut t = [0.0f32; WIDTH];
    for (i, tap) in t.iter_mut().enumerate() {
        let k = i as f64 - HALF as f64;
        *tap = if order == 1 {
            // Least-squares slope: Σk·x / Σk² (Σk² = 60 over −4..4).
            (k / 60.0) as f32
        } else {
            // Second derivative of the least-squares parabola:
            // 2·Σ(k² − m)·x / Σ(k² − m)², m = mean k² = 20/3, Σ(k² − m)² = 308.
            (2.0 * (k * k - 20.0 / 3.0) / 308.0) as f32
        };
    }
    t
}

/// Delta of order 1 or 2 of every row of `m` (same shape). A signal
/// shorter than one window (librosa raises an error there) gives zeros:
/// no slope can be estimated from it.
pub fn delta(m: &Matrix, order: u32) -> Matrix {
    let mut out = Matrix::zeros(m.rows, m.cols);
    let n = m.cols;
    if n < WIDTH {
        return out;
    }
    let taps = taps(order);
    for r in 0..m.rows {
        let x = m.row(r);
        let y = out.row_mut(r);
        for (t, w) in x.windows(WIDTH).enumerate() {
            // f64 accumulation: the taps alternate in sign around a
            // possibly large MFCC value.
            let s: f64 = w
                .iter()
                .zip(&taps)
                .map(|(&v, &c)| v as f64 * c as f64)
                .sum();
            y[t + HALF as usize] = s as f32;
        }
        let (first, last) = (y[HALF as usize], y[n - 1 - HALF as usize]);
        y[..HALF as usize].iter_mut().for_each(|v| *v = first);
        y[n - HALF as usize..].iter_mut().for_each(|v| *v = last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: &[f32]) -> Matrix {
        Matrix {
            rows: 1,
            cols: v.len(),
            data: v.to_vec(),
        }
    }

    #[test]
    fn slope_of_a_line_and_curvature_of_a_parabola() {
        let line: Vec<f32> = (0..20).map(|t| 3.0 * t as f32 - 7.0).collect();
        let d = delta(&row(&line), 1);
        assert!(
            d.data.iter().all(|&v| (v - 3.0).abs() < 1e-4),
            "{:?}",
            d.data
        );
        assert!(delta(&row(&line), 2).data.iter().all(|v| v.abs() < 1e-4));
        let par: Vec<f32> = (0..20).map(|t| 0.5 * (t * t) as f32).collect();
        let dd = delta(&row(&par), 2);
        assert!(
            dd.data.iter().all(|&v| (v - 1.0).abs() < 1e-3),
            "{:?}",
            dd.data
        );
        // The slope of t²/2 at frame t is t, except at the edges, which repeat
        // the slope of the first/last full window (librosa's interp mode).
        let d = delta(&row(&par), 1);
        assert!((d.data[10] - 10.0).abs() < 1e-3);
        assert_eq!(d.data[0], d.data[4]);
        assert_eq!(d.data[19], d.data[15]);
    }

    #[test]
    fn librosa_reference_values() {
        // librosa 0.11: x = np.array([0,1,0,3,2,5,4,7,9,1,0,2.], dtype=np.float32)
        // librosa.feature.delta(x)          → d1, librosa.feature.delta(x, order=2) → d2
        let x = [
            0.0f32, 1.0, 0.0, 3.0, 2.0, 5.0, 4.0, 7.0, 9.0, 1.0, 0.0, 2.0,
        ];
        let d1 = [
            1.0666666f32,
            1.0666666,
            1.0666666,
            1.0666666,
            1.0666667,
            0.6166667,
            0.1666667,
            -0.2166667,
            -0.2166667,
            -0.2166667,
            -0.2166667,
            -0.2166667,
        ];
        let d2 = [
            0.2164504f32,
            0.2164504,
            0.2164504,
            0.2164504,
            0.2164502,
            -0.3528138,
            -0.7445887,
            -0.5519481,
            -0.5519488,
            -0.5519488,
            -0.5519488,
            -0.5519488,
        ];
        for (a, b) in delta(&row(&x), 1).data.iter().zip(&d1) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        for (a, b) in delta(&row(&x), 2).data.iter().zip(&d2) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn too_short_gives_zeros() {
        let d = delta(&row(&[1.0, 5.0, 2.0]), 1);
        assert_eq!(d.data, vec![0.0; 3]);
        assert_eq!(delta(&Matrix::zeros(20, 0), 2).cols, 0);
    }
}

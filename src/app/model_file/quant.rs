//! What the model file stores in 8 bits: the z rows, each column as
//! signed bytes scaled by its largest magnitude over 127 — a quarter of
//! f32, steps of 1/254 of a column's range. The z rows are compared by L1
//! distance (or cosine) over 145 (or 426) columns, where the rounding
//! errors, independent and at most half a step, mostly cancel: the
//! measured precision@5 does not notice (docs/PERFORMANCE.md). A model is
//! rounded the same way when it is built ([`super::half::rounded`]).

/// The scale of each of the `len` columns of `rows`: its largest
/// magnitude / 127 (1 for a column of zeros or non-finite values).
pub fn scales(rows: &[Vec<f32>], len: usize) -> Vec<f32> {
    let mut top = vec![0.0f32; len];
    for r in rows {
        for (t, v) in top.iter_mut().zip(r) {
            if v.is_finite() {
                *t = t.max(v.abs());
            }
        }
    }
    top.into_iter()
        .map(|t| if t > 0.0 { t / 127.0 } else { 1.0 })
        .collect()
}

/// `v` stored with `scale` (non-finite values as 0).
fn encode(v: f32, scale: f32) -> i8 {
    let q = (v / scale).round();
    if q.is_finite() {
        q.clamp(-127.0, 127.0) as i8
    } else {
        0
    }
}

/// `v` as it reads back stored with `scale`.
pub fn round(v: f32, scale: f32) -> f32 {
    f32::from(encode(v, scale)) * scale
}

/// `rows`, column `j` scaled by `scales[j]`, as bytes.
pub fn write_rows(rows: &[Vec<f32>], scales: &[f32]) -> Vec<u8> {
    rows.iter()
        .flat_map(|r| r.iter().zip(scales))
        .map(|(&v, &s)| encode(v, s) as u8)
        .collect()
}

/// One row of `bytes` scaled by `scales`.
pub fn read_row(bytes: &[u8], scales: &[f32]) -> Vec<f32> {
    bytes
        .iter()
        .zip(scales)
        .map(|(&b, &s)| f32::from(b as i8) * s)
        .collect()
}

/// `rows` as they read back stored with their [`scales`].
pub fn round_rows(rows: &mut [Vec<f32>]) {
    let s = scales(rows, rows.first().map_or(0, Vec::len));
    for r in rows.iter_mut() {
        for (v, &s) in r.iter_mut().zip(&s) {
            *v = round(*v, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_keep_half_a_step_and_read_back_as_rounded() {
        let rows: Vec<Vec<f32>> = (0..50)
            .map(|i| {
                let x = i as f32 / 49.0;
                vec![6.0 * x - 2.0, 1e-3 * x, 0.0, -250.0 * x * x]
            })
            .collect();
        let s = scales(&rows, 4);
        assert_eq!(s[2], 1.0);
        let bytes = write_rows(&rows, &s);
        assert_eq!(bytes.len(), 50 * 4);
        let mut rounded = rows.clone();
        round_rows(&mut rounded);
        for ((r, chunk), want) in rows.iter().zip(bytes.chunks_exact(4)).zip(&rounded) {
            let back = read_row(chunk, &s);
            assert_eq!(&back, want, "the file and the rounding agree");
            for (j, (&a, &b)) in r.iter().zip(&back).enumerate() {
                assert!((a - b).abs() <= s[j] * 0.5 + 1e-6, "column {j}: {a} vs {b}");
            }
        }
        // Rounding again changes nothing.
        let mut twice = rounded.clone();
        round_rows(&mut twice);
        assert_eq!(twice, rounded);
    }
}

//! What the model file stores at half precision (IEEE f16, the `half`
//! crate): the timbre Gaussians, the tag scores, the graph's similarities
//! and the `fused` profile's unit embeddings (the z rows, f16 in format 7,
//! are stored in 8 bits since format 8: [`super::quant`]) — half the bytes of f32, ~3 significant digits, which the
//! measured precision@5 does not notice (docs/PERFORMANCE.md). A column is
//! scaled by a power of two (exact) so that its largest value is 2¹⁴:
//! covariances of raw MFCCs exceed f16's range (65 504) unscaled, and the
//! scale keeps every column's values normal numbers down to 2⁻²⁸ of its
//! largest. A model is rounded the same way when it is built
//! ([`rounded`]), so the model in hand and the model on disk are equal.

use ::half::f16;

use crate::model::Model;
use crate::similarity::proximity::Spread;
use crate::similarity::stored::Arrays;
use crate::similarity::Space;

/// Exponent of the largest value a column is scaled to.
const TOP: i32 = 14;

/// The power-of-two scale of each of the `len` columns of `rows`.
pub fn scales(rows: &[Vec<f32>], len: usize) -> Vec<f32> {
    let mut top = vec![0.0f32; len];
    for r in rows {
        for (t, v) in top.iter_mut().zip(r) {
            *t = t.max(v.abs());
        }
    }
    top.into_iter().map(scale_of).collect()
}

/// 2^(e − 14) with 2^e ≥ `top`; 1 for a column of zeros or non-finite
/// values (which f16 keeps as they are).
fn scale_of(top: f32) -> f32 {
    if top > 0.0 && top.is_finite() {
        let e = top.log2().ceil() as i32 - TOP;
        2f32.powi(e.clamp(-126, 127))
    } else {
        1.0
    }
}

/// `v` stored with `scale`.
fn encode(v: f32, scale: f32) -> f16 {
    f16::from_f32(v / scale)
}

/// `v` as it reads back stored with `scale`.
pub fn round(v: f32, scale: f32) -> f32 {
    encode(v, scale).to_f32() * scale
}

/// `rows`, column `j` scaled by `scales[j]`, as f16 LE bytes.
pub fn write_rows(rows: &[Vec<f32>], scales: &[f32]) -> Vec<u8> {
    rows.iter()
        .flat_map(|r| r.iter().zip(scales))
        .flat_map(|(&v, &s)| encode(v, s).to_le_bytes())
        .collect()
}

/// One row of f16 LE `bytes` scaled by `scales`.
pub fn read_row(bytes: &[u8], scales: &[f32]) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .zip(scales)
        .map(|(c, &s)| f16::from_le_bytes([c[0], c[1]]).to_f32() * s)
        .collect()
}

/// `values` (unscaled) as f16 LE bytes.
pub fn write(values: impl Iterator<Item = f32>) -> Vec<u8> {
    values
        .flat_map(|v| f16::from_f32(v).to_le_bytes())
        .collect()
}

/// Unscaled f16 LE `bytes`.
pub fn read(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
        .collect()
}

/// `rows` as they read back stored with their [`scales`].
fn round_rows(rows: &mut [Vec<f32>]) {
    let s = scales(rows, rows.first().map_or(0, Vec::len));
    for r in rows.iter_mut() {
        for (v, &s) in r.iter_mut().zip(&s) {
            *v = round(*v, s);
        }
    }
}

/// `model` as it reads back from the model file: what is stored at half
/// precision rounded so (the space's derived tables made anew).
pub fn rounded(mut model: Model) -> Model {
    for t in &mut model.tracks {
        for v in &mut t.tags {
            *v = f16::from_f32(*v).to_f32();
        }
    }
    for n in model.graph.iter_mut().flatten() {
        n.similarity = f16::from_f32(n.similarity).to_f32();
    }
    model.space = rounded_space(&model.space);
    model
}

/// `space` with its z rows (8 bits), timbre Gaussians and unit embeddings
/// as the model file keeps them.
pub fn rounded_space(space: &Space) -> Space {
    let mut z = space.z.clone();
    super::quant::round_rows(&mut z);
    let mut timbre = space.timbre().to_vec();
    round_rows(&mut timbre);
    // Unit vectors need no scale (every value within ±1); their spreads
    // are stored as f32.
    let deep = space.deep_rows().map(|(unit, spread)| {
        let unit = unit
            .iter()
            .map(|u| u.iter().map(|&v| f16::from_f32(v).to_f32()).collect())
            .collect();
        (unit, spread.iter().copied().map(single).collect())
    });
    let arrays = Arrays {
        z,
        timbre,
        // Spreads are stored as f32.
        spreads: space
            .stored_spreads()
            .map(|(v, t)| (single(v), single(t)))
            .collect(),
        deep,
    };
    Space::from_parts(space.head(), arrays)
}

/// `s` as it reads back stored as f32.
fn single(s: Spread) -> Spread {
    Spread {
        mean: f64::from(s.mean as f32),
        sd: f64::from(s.sd as f32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_keep_three_digits_at_any_scale_and_never_overflow() {
        // A covariance-like column far beyond f16's range, a z-like one,
        // one with tiny values beside its largest, and zeros.
        let rows: Vec<Vec<f32>> = (0..50)
            .map(|i| {
                let x = i as f32 / 49.0;
                vec![2.5e6 * (x + 0.01), 3.0 * x - 1.5, 1e-3 + x * x * 7.0, 0.0]
            })
            .collect();
        let s = scales(&rows, 4);
        assert!(s.iter().all(|s| s.log2().fract() == 0.0), "{s:?}");
        let bytes = write_rows(&rows, &s);
        assert_eq!(bytes.len(), 50 * 4 * 2);
        for (r, chunk) in rows.iter().zip(bytes.chunks_exact(8)) {
            let back = read_row(chunk, &s);
            for (j, (&a, &b)) in r.iter().zip(&back).enumerate() {
                assert!(b.is_finite(), "column {j}: {a} read back as {b}");
                assert!((a - b).abs() <= a.abs() * 4.9e-4, "column {j}: {a} vs {b}");
                assert_eq!(b, round(a, s[j]), "round agrees with the file");
            }
        }
        assert_eq!(
            read(&write([0.25f32, 0.7].into_iter())),
            [0.25, f16::from_f32(0.7).to_f32()]
        );
    }
}

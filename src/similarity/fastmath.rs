//! `exp` and `ln_1p` for the similarity kernels, written without calls or
//! branches (bit arithmetic, polynomials, selects) so a loop over arrays of
//! pair distances vectorises; libm's versions are scalar calls, and mutual
//! proximity needs five of them per pair of tracks.
//!
//! Both are accurate to a few ulp over the range the kernels use (checked
//! against the standard library in the tests); arguments are assumed
//! finite.

/// 1.5 · 2⁵²: adding it rounds a double of magnitude < 2⁵¹ to an integer
/// held in the low mantissa bits.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// ln 2 split in two so k·ln 2 is subtracted without rounding error.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// 1/k! for k = 0..=12: the Taylor series of e^r.
const EXP_TAYLOR: [f64; 13] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
];

/// 1/(2k + 1) for k = 0..=9: atanh(s)/s as a series in s².
const ATANH_SERIES: [f64; 10] = [
    1.0,
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
];

/// Σ c[k]·xᵏ by Horner's rule (the loop unrolls: the length is a constant).
#[inline(always)]
fn horner<const N: usize>(x: f64, c: &[f64; N]) -> f64 {
    c.iter().rev().fold(0.0, |p, &ck| ck + x * p)
}

/// e^x, for x in about −708..709 (clamped there: far-out arguments give
/// the smallest normal or a large finite value instead of 0 or ∞).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let x = x.clamp(-708.0, 709.0);
    // x = k·ln 2 + r with |r| ≤ ln 2 / 2.
    let kr = x * std::f64::consts::LOG2_E + ROUND;
    let k = kr - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // e^r by its Taylor series to r¹² (error < 2e-17 for |r| ≤ 0.35).
    let p = horner(r, &EXP_TAYLOR);
    // 2^k from k's bits (k in −1022..1023 after the clamp).
    let k_bits = kr.to_bits().wrapping_sub(ROUND.to_bits());
    let scale = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    p * scale
}

/// Mantissa bits of √½: ln is evaluated on m in [√½, √2).
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;

/// ln(x) for finite x > 0 (normal range).
#[inline(always)]
fn ln(x: f64) -> f64 {
    // x = m · 2^e with m in [√½, √2) (the offset makes the exponent field
    // roll over at √2 rather than at 2).
    let ix = x
        .to_bits()
        .wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF_BITS);
    let e_field = ix >> 52;
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff).wrapping_add(SQRT_HALF_BITS));
    // e as a double without an integer conversion: 2⁵² + e_field, minus
    // 2⁵² + 1023.
    let e = f64::from_bits(e_field | 0x4330_0000_0000_0000) - (4_503_599_627_370_496.0 + 1023.0);
    // ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716.
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let series = horner(s * s, &ATANH_SERIES);
    e * LN2_HI + (2.0 * s * series + e * LN2_LO)
}

/// ln(1 + x) for finite x ≥ 0, accurate for tiny x too.
#[inline(always)]
pub fn ln_1p(x: f64) -> f64 {
    let u = 1.0 + x;
    // ln(u) · x / (u − 1) corrects the rounding of 1 + x (Goldberg); when
    // 1 + x rounds to 1, ln(1 + x) = x to double precision.
    let d = u - 1.0;
    let corrected = ln(u) * (x / if d == 0.0 { 1.0 } else { d });
    if d == 0.0 {
        x
    } else {
        corrected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        if a == b {
            0.0
        } else {
            (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
        }
    }

    #[test]
    fn exp_matches_std() {
        let mut worst = 0.0f64;
        for i in -69_800..=69_800 {
            let x = i as f64 * 0.01013;
            worst = worst.max(rel(exp(x), x.exp()));
        }
        assert!(worst < 1e-15, "worst relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        // Clamped, never 0 or ∞.
        assert!(exp(-1e6) > 0.0 && exp(-1e6) < 1e-307);
        assert!(exp(1e6).is_finite());
    }

    #[test]
    fn ln_1p_matches_std() {
        let mut worst = 0.0f64;
        let mut x = 1e-300f64;
        while x < 1e300 {
            for f in [1.0, 1.37, 2.9, 7.3] {
                worst = worst.max(rel(ln_1p(x * f), (x * f).ln_1p()));
            }
            x *= 1.9;
        }
        for i in 0..100_000 {
            let x = i as f64 * 0.000_731;
            worst = worst.max(rel(ln_1p(x), x.ln_1p()));
        }
        assert!(worst < 1e-15, "worst relative error {worst:e}");
        assert_eq!(ln_1p(0.0), 0.0);
    }
}

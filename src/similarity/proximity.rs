//! Mutual proximity, Gaussian variant (Schnitzer et al., 2012): a distance
//! d(x, y) is replaced by the probability that it is *not* among the
//! smaller distances of both x and y, each track's distances being modelled
//! as a normal distribution. It removes "hub" tracks that sit near
//! everything in high-dimensional spaces, and puts distances of different
//! kinds on one scale so they can be fused.
//!
//! Each track's mean and standard deviation are estimated against a fixed
//! sample of at most [`SAMPLE`] tracks (the model's `proximity_sample`),
//! so building costs O(n · SAMPLE).

use serde::{Deserialize, Serialize};

/// Largest sample of tracks each track's distance statistics come from,
/// by default.
pub const SAMPLE: usize = 1000;

/// A track's distance distribution: mean and standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Mean distance.
    pub mean: f64,
    /// Standard deviation (never 0).
    pub sd: f64,
}

impl Spread {
    /// Mean and sd of `distances` (a degenerate set gets sd 1e-12, so every
    /// distance is either "near" or "far" rather than a division by zero).
    pub fn of(distances: impl Iterator<Item = f64>) -> Spread {
        let (mut n, mut s, mut q) = (0usize, 0.0f64, 0.0f64);
        for d in distances {
            n += 1;
            s += d;
            q += d * d;
        }
        Spread::from_sums(n, s, q)
    }

    /// The spread from n distances' sum and sum of squares.
    pub fn from_sums(n: usize, sum: f64, sum_sq: f64) -> Spread {
        if n == 0 {
            return Spread { mean: 0.0, sd: 1.0 };
        }
        let mean = sum / n as f64;
        let var = (sum_sq / n as f64 - mean * mean).max(0.0);
        Spread {
            mean,
            sd: var.sqrt().max(1e-12),
        }
    }

    /// P(D ≤ d) for this track's distance distribution.
    #[inline(always)]
    pub fn cdf(&self, d: f64) -> f64 {
        0.5 * erfc((self.mean - d) / (self.sd * std::f64::consts::SQRT_2))
    }
}

/// The complementary error function with fractional error below 1.2e-7
/// everywhere (Chebyshev fit, Numerical Recipes `erfcc`): one `exp`
/// instead of libm's several branches; mutual proximity evaluates it twice
/// per pair of tracks, 10⁸ times for a 10 000-track graph.
#[inline(always)]
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * super::fastmath::exp(poly);
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// The sample rows: evenly spaced over `n` rows, at most [`SAMPLE`].
pub fn sample(n: usize) -> Vec<u32> {
    sample_of(n, SAMPLE)
}

/// The sample rows: evenly spaced over `n` rows, at most `size` (at
/// least 1).
pub fn sample_of(n: usize, size: usize) -> Vec<u32> {
    let m = n.min(size.max(1));
    (0..m).map(|i| (i * n / m.max(1)) as u32).collect()
}

/// Mutual-proximity distance in 0..1: 1 − P(D_x > d)·P(D_y > d), written
/// as a + b − ab with a, b the two CDFs so near pairs keep their precision.
#[inline(always)]
pub fn distance(d: f64, x: &Spread, y: &Spread) -> f64 {
    let (a, b) = (x.cdf(d), y.cdf(d));
    (a + b - a * b).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mp_is_symmetric_bounded_and_monotone() {
        let x = Spread {
            mean: 10.0,
            sd: 2.0,
        };
        let y = Spread { mean: 3.0, sd: 0.5 };
        let mut last = -1.0;
        for i in 0..100 {
            let d = i as f64 * 0.2;
            let m = distance(d, &x, &y);
            assert!((0.0..=1.0).contains(&m));
            // Monotone up to rounding (near 1 the CDFs round to 1).
            assert!(m >= last - 1e-12, "{m} < {last} at {d}");
            assert_eq!(m, distance(d, &y, &x));
            last = m;
        }
        // Far below both means: near 0; far above: 1.
        assert!(distance(-5.0, &x, &y) < 1e-6);
        assert!(distance(50.0, &x, &y) > 1.0 - 1e-12);
    }

    #[test]
    fn hub_correction() {
        // A hub (small distances to everyone) and an outlier (large ones)
        // at the same raw distance 5: to the outlier, 5 is close; to the
        // hub it is far. MP gives the pair a middling distance, while a
        // pair of ordinary tracks at their usual distance scores lower.
        let hub = Spread { mean: 4.0, sd: 0.5 };
        let outlier = Spread {
            mean: 12.0,
            sd: 1.0,
        };
        let plain = Spread { mean: 8.0, sd: 1.0 };
        assert!(distance(5.0, &hub, &outlier) > distance(6.0, &plain, &plain));
        let s = Spread::of([1.0, 1.0, 1.0].into_iter());
        assert!(s.sd > 0.0 && s.cdf(1.0).is_finite());
        assert_eq!(Spread::of(std::iter::empty()).sd, 1.0);
    }

    #[test]
    fn fast_erfc_matches_libm() {
        for i in -600..=600 {
            let x = i as f64 * 0.01;
            let (a, b) = (erfc(x), libm::erfc(x));
            assert!((a - b).abs() <= 1.2e-7 * b, "{x}: {a} vs {b}");
        }
    }

    #[test]
    fn sample_is_spread_and_bounded() {
        assert_eq!(sample(0), Vec::<u32>::new());
        assert_eq!(sample(3), vec![0, 1, 2]);
        let s = sample(10_000);
        assert_eq!(s.len(), SAMPLE);
        assert_eq!(s[1], 10);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sample_of(10_000, SAMPLE), s);
        let small = sample_of(10_000, 250);
        assert_eq!((small.len(), small[1]), (250, 40));
        assert_eq!(sample_of(5, 0), vec![0], "never empty");
    }
}

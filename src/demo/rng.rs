//! A tiny seeded RNG (SplitMix64). Our own rather than a crate's so the demo
//! library stays byte-identical across platforms and dependency upgrades:
//! integer arithmetic only, floats derived by exact conversions.

/// SplitMix64: 64-bit state, passes BigCrush, trivially reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for `(style, track, stream)`: each stream (drums, bass…)
    /// gets its own sequence, so changing one part's draws does not reshuffle
    /// the others.
    pub fn for_track(style: &str, track: usize, stream: u64) -> Self {
        let mut h = crate::store::fnv1a64(style.as_bytes());
        h ^= (track as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= stream.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let mut r = Rng(h);
        r.next_u64();
        r
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub fn int(&mut self, lo: i32, hi: i32) -> i32 {
        let span = (hi - lo + 1).max(1) as u64;
        lo + (self.next_u64() % span) as i32
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// Symmetric noise sample in [-1, 1).
    pub fn noise(&mut self) -> f32 {
        self.unit() * 2.0 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map(|_| Rng::for_track("rock", 3, 1).next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::for_track("rock", 3, 1).next_u64(),
            Rng::for_track("rock", 4, 1).next_u64()
        );
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            let x = r.int(-2, 3);
            assert!((-2..=3).contains(&x));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}

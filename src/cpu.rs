//! Which instruction sets the kernels may use, decided in one place.
//!
//! The crate is built for baseline x86-64. The feature kernels
//! (`features::simd`), the similarity kernels, the exact-neighbour search in
//! `eval` and the deep network's kernels each have a copy compiled for AVX2
//! (the network's for AVX2 with FMA) and pick it at run time. They all ask
//! here, so every part of the process makes the same choice from the same
//! answer. The CPU is asked once; after that each call is the load of a
//! cached bool, cheap enough for a dispatch per frame.

/// True when the CPU has AVX2 (always false off x86-64).
#[inline]
pub fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX2: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVX2.get_or_init(|| std::arch::is_x86_feature_detected!("avx2"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// True when the CPU has both AVX2 and FMA (always false off x86-64).
#[inline]
pub fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX2_FMA: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVX2_FMA.get_or_init(|| avx2() && std::arch::is_x86_feature_detected!("fma"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

#[cfg(test)]
mod tests {
    /// The cached answers are the CPU's.
    #[test]
    fn answers_are_the_cpus() {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = std::arch::is_x86_feature_detected!("avx2");
            let fma = std::arch::is_x86_feature_detected!("fma");
            for _ in 0..2 {
                assert_eq!(super::avx2(), avx2);
                assert_eq!(super::avx2_fma(), avx2 && fma);
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        assert!(!super::avx2() && !super::avx2_fma());
    }
}

//! Run-time choice between the baseline build and an AVX2 build of the
//! feature kernels.
//!
//! The crate targets baseline x86-64 (SSE2, 4 f32 lanes). The per-bin loops
//! are written in fixed 8-lane chunks, which the compiler maps onto one AVX
//! register when the code is compiled with AVX2 enabled, doing twice the work
//! per instruction. [`avx2_dispatch!`] gives each public kernel a second copy
//! compiled that way and picks it when the CPU has AVX2 ([`crate::cpu::avx2`]).
//! Results are the same either way: Rust never contracts or reorders float
//! operations, and the explicit lanes fix the summation order.
//!
//! Why one copy per kernel rather than one AVX2 copy of the whole pipeline:
//! with everything inlined into one huge function, the compiler's vectoriser
//! gave up on some loops depending on unrelated changes elsewhere (the chroma
//! projection went from 3 k to 49 k instructions per frame after an edit to
//! the spectral code). Kernel-sized functions vectorise predictably, and the
//! public functions are fast when called on their own (benches, tests).
//!
//! Helpers a kernel calls must be `#[inline(always)]` to be compiled into its
//! AVX2 copy. Small per-frame loops that the vectoriser still left scalar
//! inside a larger kernel (the 8-lane maximum of a frame was 8 scalar
//! registers) are kernels of their own: a dispatch per frame costs a few
//! nanoseconds.

/// Defines a public function that runs `$portable` (which must be
/// `#[inline(always)]`) either as compiled for AVX2, via a generated
/// `$avx2` function, or as compiled for the baseline target.
macro_rules! avx2_dispatch {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?
            => $avx2:ident, $portable:ident
    ) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            if $crate::cpu::avx2() {
                // SAFETY: the CPU supports AVX2, checked just above.
                return unsafe { $avx2($($arg),*) };
            }
            $portable($($arg),*)
        }

        // Never inlined into a caller: compiled on its own, the kernel's
        // loops vectorise the same way whatever surrounds the call.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        #[inline(never)]
        unsafe fn $avx2($($arg: $ty),*) $(-> $ret)? {
            $portable($($arg),*)
        }
    };
}

pub(crate) use avx2_dispatch;

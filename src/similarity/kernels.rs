//! Small vector kernels of the similarity search, written in explicit
//! lanes so they vectorise (Rust never reorders a float sum by itself),
//! and the run-time switch that compiles the hot loops for AVX2.
//!
//! The kernels add in a fixed order whatever the instruction set, and use
//! no fused multiply-add, so the AVX2 and the baseline builds of a loop
//! give bit-identical results.

pub use crate::features::matrix::dot;

/// Lanes of the f32 kernels (four AVX2 registers: four independent chains
/// of additions in flight).
pub const LANES32: usize = 32;
/// Lanes of the f64 kernels (one AVX2 register per sum; several sums run
/// side by side instead, see [`cross64x4`]).
pub const LANES64: usize = 4;

/// `v` scaled to unit length (a zero vector stays zero).
pub fn unit(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// `v` followed by zeros up to a multiple of `lanes` values.
pub fn padded<T: Copy + Default>(v: &[T], lanes: usize) -> Vec<T> {
    let mut out = v.to_vec();
    out.resize(v.len().div_ceil(lanes.max(1)) * lanes.max(1), T::default());
    out
}

/// Rows of equal length stored one after another, each zero-padded to a
/// multiple of a lane count (no per-row allocation, no tails in the loops).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows<T> {
    stride: usize,
    data: Vec<T>,
}

impl<T: Copy + Default> Rows<T> {
    /// `rows`, each padded to `len` rounded up to a multiple of `lanes`
    /// (rows longer than `len` are cut, shorter ones zero-filled).
    pub fn new<'a>(rows: impl Iterator<Item = &'a [T]>, len: usize, lanes: usize) -> Rows<T>
    where
        T: 'a,
    {
        let stride = len.div_ceil(lanes.max(1)) * lanes.max(1);
        let mut data = Vec::new();
        for r in rows {
            let start = data.len();
            data.extend(r.iter().take(len));
            data.resize(start + stride, T::default());
        }
        Rows { stride, data }
    }

    /// Appends `row`, padded (or cut) to the stride.
    pub fn push(&mut self, row: &[T]) {
        let start = self.data.len();
        self.data.extend(row.iter().take(self.stride));
        self.data.resize(start + self.stride, T::default());
    }

    /// Keeps the rows `i` for which `keep(i)`, in order.
    pub fn retain(&mut self, keep: impl Fn(usize) -> bool) {
        if self.stride == 0 {
            return;
        }
        let mut next = 0;
        for i in 0..self.data.len() / self.stride {
            if keep(i) {
                self.data
                    .copy_within(i * self.stride..(i + 1) * self.stride, next * self.stride);
                next += 1;
            }
        }
        self.data.truncate(next * self.stride);
    }

    /// Row `i` with its padding (empty when out of range).
    #[inline(always)]
    pub fn row(&self, i: usize) -> &[T] {
        self.data
            .get(i * self.stride..(i + 1) * self.stride)
            .unwrap_or(&[])
    }
}

/// Sum of 8 f64 lanes as a balanced tree (short dependency chains).
#[inline(always)]
fn sum8(a: [f64; 8]) -> f64 {
    let h = [a[0] + a[4], a[1] + a[5], a[2] + a[6], a[3] + a[7]];
    sum4(h)
}

/// Sum of 4 f64 lanes: (a0 + a2) + (a1 + a3), as an AVX2 register is
/// reduced.
#[inline(always)]
fn sum4(a: [f64; 4]) -> f64 {
    (a[0] + a[2]) + (a[1] + a[3])
}

/// Dot product in f64.
#[inline(always)]
pub fn dot64(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (ca, ra) = a[..n].as_chunks::<LANES64>();
    let (cb, rb) = b[..n].as_chunks::<LANES64>();
    let mut acc = [0.0f64; LANES64];
    for (x, y) in ca.iter().zip(cb) {
        for l in 0..LANES64 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    sum4(acc) + tail
}

/// `au·bv + bu·av`; exactly symmetric in swapping a and b, and the same
/// to the bit in every build (`isa`).
#[inline(always)]
pub fn cross64(isa: Isa, au: &[f64], av: &[f64], bu: &[f64], bv: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if isa.avx2 {
        // SAFETY: an `Isa` with `avx2` set comes only from `with_simd`,
        // after it found the CPU has AVX2.
        return unsafe { x86::cross64(au, av, bu, bv) };
    }
    let _ = isa;
    dot64(au, bv) + dot64(bu, av)
}

/// [`cross64`] of `a` with four `b`s at once (`a` is read once for all
/// four, and the eight sums keep the AVX2 adders busy); the same results
/// to the bit.
#[inline(always)]
pub fn cross64x4(isa: Isa, au: &[f64], av: &[f64], bu: [&[f64]; 4], bv: [&[f64]; 4]) -> [f64; 4] {
    #[cfg(target_arch = "x86_64")]
    if isa.avx2 {
        // SAFETY: as in `cross64`.
        return unsafe { x86::cross64x4(au, av, bu, bv) };
    }
    [0, 1, 2, 3].map(|c| cross64(isa, au, av, bu[c], bv[c]))
}

/// L1 (Manhattan) distance over the common length of `a` and `b`;
/// exactly symmetric.
#[inline(always)]
pub fn l1(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let (ca, ra) = a[..n].as_chunks::<LANES32>();
    let (cb, rb) = b[..n].as_chunks::<LANES32>();
    let mut acc = [0.0f32; LANES32];
    for (x, y) in ca.iter().zip(cb) {
        for l in 0..LANES32 {
            acc[l] += (x[l] - y[l]).abs();
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| (x - y).abs()).sum();
    let mut h = [0.0f64; 8];
    for (l, h) in h.iter_mut().enumerate() {
        *h = f64::from((acc[l] + acc[l + 8]) + (acc[l + 16] + acc[l + 24]));
    }
    sum8(h) + f64::from(tail)
}

/// Which build of the kernels runs. LLVM vectorises the f64 dot products
/// of the baseline build only two lanes wide, so AVX2 has its own version
/// of them; it adds in the same order, so results do not depend on it.
#[derive(Debug, Clone, Copy)]
pub struct Isa {
    /// The CPU has AVX2 and the caller is compiled for it.
    avx2: bool,
}

impl Isa {
    /// The baseline build (any CPU).
    pub fn base() -> Isa {
        Isa { avx2: false }
    }
}

/// `f(isa)`, compiled for AVX2 when the CPU has it (x86-64 only; elsewhere,
/// and on older CPUs, the baseline build). `f` and the kernels it calls
/// must be inlined into it to benefit, hence `#[inline(always)]` on them.
#[inline(always)]
pub fn with_simd<R>(f: impl FnOnce(Isa) -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::cpu::avx2() {
            // SAFETY: `avx2` only requires the AVX2 instructions, which the
            // CPU was just found to have.
            return unsafe { avx2(f) };
        }
    }
    f(Isa::base())
}

/// `f(isa)` with AVX2 code generation.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2<R>(f: impl FnOnce(Isa) -> R) -> R {
    f(Isa { avx2: true })
}

/// AVX2 versions of the f64 kernels: the same lanes (one register), the
/// same multiply-then-add (no FMA) and the same reduction tree as
/// [`dot64`], so the same results to the bit.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Four lanes summed as [`super::sum4`] does.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn sum4(a: __m256d) -> f64 {
        let g = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd::<1>(a));
        _mm_cvtsd_f64(g) + _mm_cvtsd_f64(_mm_unpackhi_pd(g, g))
    }

    /// `a · b` over the first `n` values as [`super::dot64`] adds the
    /// tail.
    #[inline(always)]
    fn tail(a: &[f64], b: &[f64], from: usize, n: usize) -> f64 {
        let (a, b) = (a.get(from..n).unwrap_or(&[]), b.get(from..n).unwrap_or(&[]));
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    /// `au·bv_c + bu_c·av` for C vectors b at once, each as
    /// [`super::cross64`] computes it.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn cross_cols<const C: usize>(
        au: &[f64],
        av: &[f64],
        bu: [&[f64]; C],
        bv: [&[f64]; C],
    ) -> [f64; C] {
        let mut n = au.len().min(av.len());
        for c in 0..C {
            n = n.min(bu[c].len()).min(bv[c].len());
        }
        let whole = n - n % 4;
        let mut ab = [_mm256_setzero_pd(); C];
        let mut ba = [_mm256_setzero_pd(); C];
        for o in (0..whole).step_by(4) {
            // SAFETY: o + 4 ≤ n, at most every slice's length.
            let (u, v) = unsafe {
                (
                    _mm256_loadu_pd(au.as_ptr().add(o)),
                    _mm256_loadu_pd(av.as_ptr().add(o)),
                )
            };
            for c in 0..C {
                // SAFETY: as above.
                let (bu, bv) = unsafe {
                    (
                        _mm256_loadu_pd(bu[c].as_ptr().add(o)),
                        _mm256_loadu_pd(bv[c].as_ptr().add(o)),
                    )
                };
                ab[c] = _mm256_add_pd(ab[c], _mm256_mul_pd(u, bv));
                ba[c] = _mm256_add_pd(ba[c], _mm256_mul_pd(bu, v));
            }
        }
        let mut out = [0.0; C];
        for c in 0..C {
            let x = sum4(ab[c]) + tail(au, bv[c], whole, n);
            let y = sum4(ba[c]) + tail(bu[c], av, whole, n);
            out[c] = x + y;
        }
        out
    }

    /// [`super::cross64`] with AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub fn cross64(au: &[f64], av: &[f64], bu: &[f64], bv: &[f64]) -> f64 {
        cross_cols::<1>(au, av, [bu], [bv])[0]
    }

    /// [`super::cross64x4`] with AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub fn cross64x4(au: &[f64], av: &[f64], bu: [&[f64]; 4], bv: [&[f64]; 4]) -> [f64; 4] {
        cross_cols::<4>(au, av, bu, bv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l1_and_unit() {
        let a: Vec<f32> = (0..79).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..79).map(|i| (i as f32 - 3.0).powi(2) * 0.1).collect();
        let want: f64 = a.iter().zip(&b).map(|(x, y)| (x - y).abs() as f64).sum();
        assert!(
            (l1(&a, &b) - want).abs() < 1e-3 * want,
            "{} vs {want}",
            l1(&a, &b)
        );
        assert_eq!(l1(&a, &a), 0.0);
        assert_eq!(l1(&a, &b), l1(&b, &a));
        assert_eq!(l1(&a, &b[..3]), l1(&a[..3], &b[..3]));
        // Zero padding changes nothing but the summation order.
        let (pa, pb) = (padded(&a, LANES32), padded(&b, LANES32));
        assert_eq!(pa.len(), 96);
        assert!((l1(&pa, &pb) - want).abs() < 1e-3 * want);
        let u = unit(&a);
        assert!((dot(&u, &u) - 1.0).abs() < 1e-5);
        assert_eq!(unit(&[0.0, 0.0]), vec![0.0, 0.0]);
    }

    #[test]
    fn dot_and_cross_products() {
        let cross = |au: &[f64], av: &[f64], bu: &[f64], bv: &[f64]| {
            let simd = with_simd(|isa| cross64(isa, au, av, bu, bv));
            let base = cross64(Isa::base(), au, av, bu, bv);
            // Every build adds in the same order.
            assert_eq!(simd.to_bits(), base.to_bits());
            simd
        };
        let v = |s: f64| -> Vec<f64> { (0..21).map(|i| ((i as f64 + s) * 0.7).sin()).collect() };
        let (au, av, bu, bv) = (v(0.0), v(1.0), v(2.0), v(3.0));
        let plain = |x: &[f64], y: &[f64]| -> f64 { x.iter().zip(y).map(|(a, b)| a * b).sum() };
        assert!((dot64(&au, &bv) - plain(&au, &bv)).abs() < 1e-12);
        let want = plain(&au, &bv) + plain(&bu, &av);
        assert!((cross(&au, &av, &bu, &bv) - want).abs() < 1e-12);
        // Exactly symmetric, also with padding.
        assert_eq!(cross(&au, &av, &bu, &bv), cross(&bu, &bv, &au, &av));
        let p = |x: &[f64]| padded(x, LANES64);
        let got = cross(&p(&au), &p(&av), &p(&bu), &p(&bv));
        // Four at once: the same to the bit, in every build.
        let bs: Vec<(Vec<f64>, Vec<f64>)> = (0..4)
            .map(|c| (v(5.0 + c as f64), v(c as f64 - 3.0)))
            .collect();
        let bu4 = [0, 1, 2, 3].map(|c| bs[c].0.as_slice());
        let bv4 = [0, 1, 2, 3].map(|c| bs[c].1.as_slice());
        let simd = with_simd(|isa| cross64x4(isa, &au, &av, bu4, bv4));
        let base = cross64x4(Isa::base(), &au, &av, bu4, bv4);
        for c in 0..4 {
            let one = cross(&au, &av, bu4[c], bv4[c]);
            assert_eq!(simd[c].to_bits(), one.to_bits());
            assert_eq!(base[c].to_bits(), one.to_bits());
        }
        assert!((got - want).abs() < 1e-12);
    }

    #[test]
    fn rows_are_padded_and_checked() {
        let a = [1.0f32, 2.0, 3.0];
        let b = [4.0f32];
        let rows = Rows::new([&a[..], &b[..]].into_iter(), 3, 4);
        assert_eq!(rows.row(0), &[1.0, 2.0, 3.0, 0.0]);
        assert_eq!(rows.row(1), &[4.0, 0.0, 0.0, 0.0]);
        assert!(rows.row(2).is_empty());
        assert_eq!(with_simd(|_| l1(rows.row(0), rows.row(1))), 3.0 + 2.0 + 3.0);
    }
}

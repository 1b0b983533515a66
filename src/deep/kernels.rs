//! The network's three inner loops, each in an AVX2+FMA version (chosen at
//! run time) and a portable one:
//!
//! - [`Kernels::gemm`]: `C = A · B` with `B` packed in 16-column blocks, for
//!   the midend convolutions, the frequency transforms and the timbral
//!   inverse transform;
//! - [`Kernels::spectral_products`]: the per-bin complex products of the
//!   timbral convolutions done along frequency in the Fourier domain;
//! - [`Kernels::temporal`]: the long 1-D convolutions along time, with the
//!   max/min over frequency that follows them.
//!
//! Both versions compute the same sums in the same order; they differ only
//! in the rounding of fused multiply-adds (≈1e-7 relative).

/// Columns per packed block of a `B` matrix.
pub const NB: usize = 16;

/// Which implementation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// AVX2 with FMA (x86-64 CPUs since 2013).
    Avx2Fma,
    /// Plain Rust, any CPU.
    Portable,
}

impl Kernels {
    /// The fastest this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::avx2_fma() {
            return Self::Avx2Fma;
        }
        Self::Portable
    }

    /// `c[i·ldc + j] = Σ_p a[i·lda + p] · B[p][j]` for `i < m`, `j < 16·blocks`,
    /// where `b` holds `B` (k rows) as `blocks` blocks of `k × 16`, row-major.
    #[allow(clippy::too_many_arguments)]
    pub fn gemm(
        self,
        a: &[f32],
        lda: usize,
        m: usize,
        k: usize,
        b: &[f32],
        blocks: usize,
        c: &mut [f32],
        ldc: usize,
    ) {
        if m == 0 {
            return;
        }
        assert!(a.len() >= (m - 1) * lda + k, "A too short");
        assert!(b.len() >= blocks * k * NB, "B too short");
        assert!(
            ldc >= blocks * NB && c.len() >= (m - 1) * ldc + blocks * NB,
            "C too short"
        );
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: sizes checked above; the CPU has AVX2 and FMA (detect).
            Self::Avx2Fma => unsafe { avx2::gemm(a, lda, m, k, b, blocks, c, ldc) },
            _ => portable::gemm(a, lda, m, k, b, blocks, c, ldc),
        }
    }

    /// Like [`Self::gemm`], but instead of storing `C` (m × 16·blocks), its
    /// column-wise max and min over the m rows, into `hi` and `lo`.
    #[allow(clippy::too_many_arguments)]
    pub fn gemm_extremes(
        self,
        a: &[f32],
        lda: usize,
        m: usize,
        k: usize,
        b: &[f32],
        blocks: usize,
        hi: &mut [f32],
        lo: &mut [f32],
    ) {
        assert!(m > 0, "extremes of no rows");
        assert!(a.len() >= (m - 1) * lda + k, "A too short");
        assert!(b.len() >= blocks * k * NB, "B too short");
        assert!(
            hi.len() >= blocks * NB && lo.len() >= blocks * NB,
            "outputs too short"
        );
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: sizes checked above; the CPU has AVX2 and FMA (detect).
            Self::Avx2Fma => unsafe { avx2::gemm_extremes(a, lda, m, k, b, blocks, hi, lo) },
            _ => portable::gemm_extremes(a, lda, m, k, b, blocks, hi, lo),
        }
    }

    /// For rows `t..t+rows` of the output, the complex products summed over
    /// the kernel's 7 time taps, per frequency bin and filter block.
    ///
    /// `s`: spectra of the padded input rows, `s_stride` apart, bin `q` as
    /// (re, im) at `2q, 2q+1`; `h`: the filters' conjugated spectra, packed
    /// `[bin][block][tap][re×16 | im×16]`; `y`: `rows` outputs, each
    /// `[block][2·bins][16]`.
    #[allow(clippy::too_many_arguments)]
    pub fn spectral_products(
        self,
        s: &[f32],
        s_stride: usize,
        t: usize,
        rows: usize,
        bins: usize,
        h: &[f32],
        blocks: usize,
        y: &mut [f32],
    ) {
        let per_row = blocks * 2 * bins * NB;
        assert!(
            s.len() >= (t + rows - 1 + TAPS - 1) * s_stride + 2 * bins,
            "S too short"
        );
        assert!(s_stride >= 2 * bins);
        assert!(h.len() >= bins * blocks * TAPS * 2 * NB, "H too short");
        assert!(y.len() >= rows * per_row, "Y too short");
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: sizes checked above; the CPU has AVX2 and FMA.
            Self::Avx2Fma => unsafe {
                avx2::spectral_products(s, s_stride, t, rows, bins, h, blocks, y)
            },
            _ => portable::spectral_products(s, s_stride, t, rows, bins, h, blocks, y),
        }
    }

    /// A filter bank along time over a `frames × 96` input zero-padded by
    /// `lo` frames before: for each filter `c` (taps `w[c·k..]`) and frame
    /// `t`, `z[f] = Σ_d w[d] · x[t + d − lo][f]`, reduced to its max and min
    /// over `f`, written at `max[t·stride + c]`, `min[t·stride + c]`.
    #[allow(clippy::too_many_arguments)]
    pub fn temporal(
        self,
        x: &[f32],
        frames: usize,
        w: &[f32],
        k: usize,
        lo: usize,
        max: &mut [f32],
        min: &mut [f32],
        stride: usize,
    ) {
        let filters = w.len() / k;
        assert_eq!(x.len(), frames * BANDS);
        assert!(filters <= stride && max.len() >= frames * stride && min.len() >= frames * stride);
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: sizes checked above; the CPU has AVX2 and FMA.
            Self::Avx2Fma => unsafe { avx2::temporal(x, frames, w, k, lo, max, min, stride) },
            _ => portable::temporal(x, frames, w, k, lo, max, min, stride),
        }
    }
}

/// Time taps of the timbral kernels.
pub const TAPS: usize = 7;
/// Mel bands (the input's width).
pub const BANDS: usize = 96;

/// Frame range `[d0, d1)` of taps that land inside the input.
#[inline(always)]
fn tap_range(t: usize, k: usize, lo: usize, frames: usize) -> (usize, usize) {
    (lo.saturating_sub(t), k.min(frames + lo - t))
}

mod portable {
    use super::{tap_range, BANDS, NB, TAPS};

    #[allow(clippy::too_many_arguments)]
    pub fn gemm(
        a: &[f32],
        lda: usize,
        m: usize,
        k: usize,
        b: &[f32],
        blocks: usize,
        c: &mut [f32],
        ldc: usize,
    ) {
        // Four rows at a time: each B row loaded serves four sums.
        let mut i = 0;
        while i < m {
            let rows = 4.min(m - i);
            for jb in 0..blocks {
                let blk = &b[jb * k * NB..(jb + 1) * k * NB];
                let mut acc = [[0.0f32; NB]; 4];
                for (p, bp) in blk.chunks_exact(NB).enumerate() {
                    for (r, row) in acc.iter_mut().enumerate().take(rows) {
                        let av = a[(i + r) * lda + p];
                        for (s, &bv) in row.iter_mut().zip(bp) {
                            *s += av * bv;
                        }
                    }
                }
                for (r, row) in acc.iter().enumerate().take(rows) {
                    let at = (i + r) * ldc + jb * NB;
                    c[at..at + NB].copy_from_slice(row);
                }
            }
            i += rows;
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn gemm_extremes(
        a: &[f32],
        lda: usize,
        m: usize,
        k: usize,
        b: &[f32],
        blocks: usize,
        hi: &mut [f32],
        lo: &mut [f32],
    ) {
        let width = blocks * NB;
        let mut rows = vec![0.0f32; 4 * width];
        hi[..width].fill(f32::NEG_INFINITY);
        lo[..width].fill(f32::INFINITY);
        let mut i = 0;
        while i < m {
            let n = 4.min(m - i);
            gemm(&a[i * lda..], lda, n, k, b, blocks, &mut rows, width);
            for row in rows.chunks_exact(width).take(n) {
                for ((h, l), &v) in hi.iter_mut().zip(lo.iter_mut()).zip(row) {
                    *h = h.max(v);
                    *l = l.min(v);
                }
            }
            i += n;
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn spectral_products(
        s: &[f32],
        s_stride: usize,
        t: usize,
        rows: usize,
        bins: usize,
        h: &[f32],
        blocks: usize,
        y: &mut [f32],
    ) {
        let per_row = blocks * 2 * bins * NB;
        for r in 0..rows {
            let out = &mut y[r * per_row..(r + 1) * per_row];
            for q in 0..bins {
                for cb in 0..blocks {
                    let hb = &h[(q * blocks + cb) * TAPS * 2 * NB..][..TAPS * 2 * NB];
                    let mut re = [0.0f32; NB];
                    let mut im = [0.0f32; NB];
                    for d in 0..TAPS {
                        let sr = s[(t + r + d) * s_stride + 2 * q];
                        let si = s[(t + r + d) * s_stride + 2 * q + 1];
                        let (hr, hi) = hb[d * 2 * NB..(d + 1) * 2 * NB].split_at(NB);
                        for l in 0..NB {
                            re[l] += sr * hr[l];
                            re[l] -= si * hi[l];
                            im[l] += sr * hi[l];
                            im[l] += si * hr[l];
                        }
                    }
                    let base = cb * 2 * bins * NB + 2 * q * NB;
                    out[base..base + NB].copy_from_slice(&re);
                    out[base + NB..base + 2 * NB].copy_from_slice(&im);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn temporal(
        x: &[f32],
        frames: usize,
        w: &[f32],
        k: usize,
        lo: usize,
        max: &mut [f32],
        min: &mut [f32],
        stride: usize,
    ) {
        for (c, taps) in w.chunks_exact(k).enumerate() {
            for t in 0..frames {
                let (d0, d1) = tap_range(t, k, lo, frames);
                // Register-sized pieces of 16 bands.
                let (mut hi, mut lo_v) = (f32::NEG_INFINITY, f32::INFINITY);
                for f0 in (0..BANDS).step_by(16) {
                    let mut acc = [0.0f32; 16];
                    for (d, &wd) in taps.iter().enumerate().take(d1).skip(d0) {
                        let row = &x[(t + d - lo) * BANDS + f0..][..16];
                        for (s, &v) in acc.iter_mut().zip(row) {
                            *s += wd * v;
                        }
                    }
                    for v in acc {
                        hi = hi.max(v);
                        lo_v = lo_v.min(v);
                    }
                }
                max[t * stride + c] = hi;
                min[t * stride + c] = lo_v;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{tap_range, BANDS, NB, TAPS};
    use std::arch::x86_64::*;

    /// Runs `$tile` over rows `0..$m` in tiles of 6 rows, then one of the
    /// 1–5 left: `$i` is the tile's first row and `$r` its row count, a
    /// constant (the tile kernels take it as a const generic so their
    /// accumulators stay in registers).
    macro_rules! row_tiles {
        ($m:expr, |$i:ident, $r:ident| $tile:expr) => {{
            let m = $m;
            let mut $i = 0;
            while $i + 6 <= m {
                {
                    const $r: usize = 6;
                    $tile;
                }
                $i += 6;
            }
            match m - $i {
                1 => {
                    const $r: usize = 1;
                    $tile
                }
                2 => {
                    const $r: usize = 2;
                    $tile
                }
                3 => {
                    const $r: usize = 3;
                    $tile
                }
                4 => {
                    const $r: usize = 4;
                    $tile
                }
                5 => {
                    const $r: usize = 5;
                    $tile
                }
                _ => {}
            }
        }};
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn gemm(
        a: &[f32],
        lda: usize,
        m: usize,
        k: usize,
        b: &[f32],
        blocks: usize,
        c: &mut [f32],
        ldc: usize,
    ) {
        let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        for jb in 0..blocks {
            let bb = b.add(jb * k * NB);
            let cb = c.add(jb * NB);
            row_tiles!(m, |i, R| tile::<R>(
                a.add(i * lda),
                lda,
                k,
                bb,
                cb.add(i * ldc),
                ldc
            ));
        }
    }

    /// `R` rows × 16 columns: 2R accumulators, B rows loaded once per step.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile<const R: usize>(
        a: *const f32,
        lda: usize,
        k: usize,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
    ) {
        let acc = tile_sums::<R>(a, lda, k, b);
        for (r, row) in acc.iter().enumerate() {
            _mm256_storeu_ps(c.add(r * ldc), row[0]);
            _mm256_storeu_ps(c.add(r * ldc + 8), row[1]);
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn gemm_extremes(
        a: &[f32],
        lda: usize,
        m: usize,
        k: usize,
        b: &[f32],
        blocks: usize,
        hi: &mut [f32],
        lo: &mut [f32],
    ) {
        let (a, b) = (a.as_ptr(), b.as_ptr());
        for jb in 0..blocks {
            let bb = b.add(jb * k * NB);
            let mut ext = [
                [_mm256_set1_ps(f32::NEG_INFINITY); 2],
                [_mm256_set1_ps(f32::INFINITY); 2],
            ];
            row_tiles!(m, |i, R| tile_extremes::<R>(
                a.add(i * lda),
                lda,
                k,
                bb,
                &mut ext
            ));
            _mm256_storeu_ps(hi.as_mut_ptr().add(jb * NB), ext[0][0]);
            _mm256_storeu_ps(hi.as_mut_ptr().add(jb * NB + 8), ext[0][1]);
            _mm256_storeu_ps(lo.as_mut_ptr().add(jb * NB), ext[1][0]);
            _mm256_storeu_ps(lo.as_mut_ptr().add(jb * NB + 8), ext[1][1]);
        }
    }

    /// [`tile`], folding the R rows into the running column max and min.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_extremes<const R: usize>(
        a: *const f32,
        lda: usize,
        k: usize,
        b: *const f32,
        ext: &mut [[__m256; 2]; 2],
    ) {
        let acc = tile_sums::<R>(a, lda, k, b);
        for row in &acc {
            for h in 0..2 {
                ext[0][h] = _mm256_max_ps(ext[0][h], row[h]);
                ext[1][h] = _mm256_min_ps(ext[1][h], row[h]);
            }
        }
    }

    /// The R × 16 sums of a tile, in registers.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_sums<const R: usize>(
        a: *const f32,
        lda: usize,
        k: usize,
        b: *const f32,
    ) -> [[__m256; 2]; R] {
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        for p in 0..k {
            let b0 = _mm256_loadu_ps(b.add(p * NB));
            let b1 = _mm256_loadu_ps(b.add(p * NB + 8));
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*a.add(r * lda + p));
                row[0] = _mm256_fmadd_ps(av, b0, row[0]);
                row[1] = _mm256_fmadd_ps(av, b1, row[1]);
            }
        }
        acc
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn spectral_products(
        s: &[f32],
        s_stride: usize,
        t: usize,
        rows: usize,
        bins: usize,
        h: &[f32],
        blocks: usize,
        y: &mut [f32],
    ) {
        let per_row = blocks * 2 * bins * NB;
        let (s, h, y) = (s.as_ptr(), h.as_ptr(), y.as_mut_ptr());
        let mut r = 0;
        while r + 2 <= rows {
            products::<2>(
                s.add((t + r) * s_stride),
                s_stride,
                bins,
                h,
                blocks,
                y.add(r * per_row),
                per_row,
            );
            r += 2;
        }
        if r < rows {
            products::<1>(
                s.add((t + r) * s_stride),
                s_stride,
                bins,
                h,
                blocks,
                y.add(r * per_row),
                per_row,
            );
        }
    }

    /// `R` consecutive output rows at once, so each filter tap loaded is
    /// used R times and 4R independent sums hide the FMA latency.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn products<const R: usize>(
        s: *const f32,
        s_stride: usize,
        bins: usize,
        h: *const f32,
        blocks: usize,
        y: *mut f32,
        per_row: usize,
    ) {
        for q in 0..bins {
            for cb in 0..blocks {
                let hb = h.add((q * blocks + cb) * TAPS * 2 * NB);
                let mut re = [[_mm256_setzero_ps(); 2]; R];
                let mut im = [[_mm256_setzero_ps(); 2]; R];
                for d in 0..TAPS {
                    let hp = hb.add(d * 2 * NB);
                    let hr0 = _mm256_loadu_ps(hp);
                    let hr1 = _mm256_loadu_ps(hp.add(8));
                    let hi0 = _mm256_loadu_ps(hp.add(16));
                    let hi1 = _mm256_loadu_ps(hp.add(24));
                    for r in 0..R {
                        let sp = s.add((r + d) * s_stride + 2 * q);
                        let sr = _mm256_broadcast_ss(&*sp);
                        let si = _mm256_broadcast_ss(&*sp.add(1));
                        re[r][0] = _mm256_fmadd_ps(sr, hr0, re[r][0]);
                        re[r][1] = _mm256_fmadd_ps(sr, hr1, re[r][1]);
                        re[r][0] = _mm256_fnmadd_ps(si, hi0, re[r][0]);
                        re[r][1] = _mm256_fnmadd_ps(si, hi1, re[r][1]);
                        im[r][0] = _mm256_fmadd_ps(sr, hi0, im[r][0]);
                        im[r][1] = _mm256_fmadd_ps(sr, hi1, im[r][1]);
                        im[r][0] = _mm256_fmadd_ps(si, hr0, im[r][0]);
                        im[r][1] = _mm256_fmadd_ps(si, hr1, im[r][1]);
                    }
                }
                for r in 0..R {
                    let out = y.add(r * per_row + cb * 2 * bins * NB + 2 * q * NB);
                    _mm256_storeu_ps(out, re[r][0]);
                    _mm256_storeu_ps(out.add(8), re[r][1]);
                    _mm256_storeu_ps(out.add(NB), im[r][0]);
                    _mm256_storeu_ps(out.add(NB + 8), im[r][1]);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn temporal(
        x: &[f32],
        frames: usize,
        w: &[f32],
        k: usize,
        lo: usize,
        max: &mut [f32],
        min: &mut [f32],
        stride: usize,
    ) {
        let filters = w.len() / k;
        let (xp, wp) = (x.as_ptr(), w.as_ptr());
        let mut c = 0;
        while c < filters {
            // Two filters at a time (the last one twice when odd).
            let c2 = (c + 1).min(filters - 1);
            let (w1, w2) = (wp.add(c * k), wp.add(c2 * k));
            for t in 0..frames {
                let (d0, d1) = tap_range(t, k, lo, frames);
                let mut hi = [_mm256_set1_ps(f32::NEG_INFINITY); 2];
                let mut lo_v = [_mm256_set1_ps(f32::INFINITY); 2];
                for half in 0..2 {
                    let mut acc = [[_mm256_setzero_ps(); 6]; 2];
                    for d in d0..d1 {
                        let row = xp.add((t + d - lo) * BANDS + half * 48);
                        let a1 = _mm256_broadcast_ss(&*w1.add(d));
                        let a2 = _mm256_broadcast_ss(&*w2.add(d));
                        let [acc1, acc2] = &mut acc;
                        for (v, (s1, s2)) in acc1.iter_mut().zip(acc2.iter_mut()).enumerate() {
                            let xv = _mm256_loadu_ps(row.add(8 * v));
                            *s1 = _mm256_fmadd_ps(a1, xv, *s1);
                            *s2 = _mm256_fmadd_ps(a2, xv, *s2);
                        }
                    }
                    for f in 0..2 {
                        for v in acc[f] {
                            hi[f] = _mm256_max_ps(hi[f], v);
                            lo_v[f] = _mm256_min_ps(lo_v[f], v);
                        }
                    }
                }
                for (f, cc) in [(0, c), (1, c2)] {
                    max[t * stride + cc] = hmax(hi[f]);
                    min[t * stride + cc] = hmin(lo_v[f]);
                }
            }
            c += 2;
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn hmax(v: __m256) -> f32 {
        let m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        let m = _mm_max_ss(m, _mm_shuffle_ps::<1>(m, m));
        _mm_cvtss_f32(m)
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn hmin(v: __m256) -> f32 {
        let m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let m = _mm_min_ps(m, _mm_movehl_ps(m, m));
        let m = _mm_min_ss(m, _mm_shuffle_ps::<1>(m, m));
        _mm_cvtss_f32(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    fn close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{i}: {x} vs {y}");
        }
    }

    /// Every kernel: the AVX2 version agrees with the portable one, and the
    /// portable one with a naive formula, on odd sizes (edge tiles).
    #[test]
    fn kernels_agree() {
        let fast = Kernels::detect();
        let p = Kernels::Portable;
        // gemm: 13 rows (two 6-row tiles and one edge row), overlapping rows.
        let (m, k, lda, blocks) = (13, 37, 11, 3);
        let a = noise((m - 1) * lda + k, 1);
        let b = noise(blocks * k * NB, 2);
        let mut c1 = vec![0.0; m * blocks * NB];
        let mut c2 = c1.clone();
        fast.gemm(&a, lda, m, k, &b, blocks, &mut c1, blocks * NB);
        p.gemm(&a, lda, m, k, &b, blocks, &mut c2, blocks * NB);
        close(&c1, &c2, 1e-5);
        let naive: f32 = (0..k)
            .map(|q| a[4 * lda + q] * b[2 * k * NB + q * NB + 5])
            .sum();
        assert!((c2[4 * blocks * NB + 2 * NB + 5] - naive).abs() < 1e-5);

        // gemm_extremes: the column max and min of the same product.
        for kernels in [fast, p] {
            let (mut hi, mut lo) = (vec![0.0; blocks * NB], vec![0.0; blocks * NB]);
            kernels.gemm_extremes(&a, lda, m, k, &b, blocks, &mut hi, &mut lo);
            for j in 0..blocks * NB {
                let col = (0..m).map(|i| c2[i * blocks * NB + j]);
                let want_hi = col.clone().fold(f32::NEG_INFINITY, f32::max);
                let want_lo = col.fold(f32::INFINITY, f32::min);
                assert!(
                    (hi[j] - want_hi).abs() < 1e-5 && (lo[j] - want_lo).abs() < 1e-5,
                    "{kernels:?} {j}"
                );
            }
        }

        // spectral products: 5 rows (two pairs and one single).
        let (bins, s_stride, rows) = (4, 9, 5);
        let s = noise((rows + TAPS + 1) * s_stride, 3);
        let h = noise(bins * blocks * TAPS * 2 * NB, 4);
        let per_row = blocks * 2 * bins * NB;
        let mut y1 = vec![0.0; rows * per_row];
        let mut y2 = y1.clone();
        fast.spectral_products(&s, s_stride, 1, rows, bins, &h, blocks, &mut y1);
        p.spectral_products(&s, s_stride, 1, rows, bins, &h, blocks, &mut y2);
        close(&y1, &y2, 1e-5);
        // Row 2, bin 3, filter 16 + 7 (block 1): (Σ s·h) real and imaginary.
        let (mut re, mut im) = (0.0f32, 0.0f32);
        for d in 0..TAPS {
            let (sr, si) = (s[(3 + d) * s_stride + 6], s[(3 + d) * s_stride + 7]);
            let hb = (3 * blocks + 1) * TAPS * 2 * NB + d * 2 * NB;
            let (hr, hi) = (h[hb + 7], h[hb + NB + 7]);
            re += sr * hr - si * hi;
            im += sr * hi + si * hr;
        }
        let base = 2 * per_row + 2 * bins * NB + 6 * NB + 7;
        assert!((y2[base] - re).abs() < 1e-5 && (y2[base + NB] - im).abs() < 1e-5);

        // temporal: 3 filters (a pair and a lone one), padding at both ends.
        let (frames, kk, lo) = (20, 8, 3);
        let x = noise(frames * BANDS, 5);
        let w = noise(3 * kk, 6);
        let (mut mx1, mut mn1) = (vec![0.0; frames * 4], vec![0.0; frames * 4]);
        let (mut mx2, mut mn2) = (mx1.clone(), mn1.clone());
        fast.temporal(&x, frames, &w, kk, lo, &mut mx1, &mut mn1, 4);
        p.temporal(&x, frames, &w, kk, lo, &mut mx2, &mut mn2, 4);
        close(&mx1, &mx2, 1e-5);
        close(&mn1, &mn2, 1e-5);
        // Frame 1, filter 2, by the definition.
        let z: Vec<f32> = (0..BANDS)
            .map(|f| {
                (0..kk)
                    .filter_map(|d| {
                        (1 + d)
                            .checked_sub(lo)
                            .filter(|&r| r < frames)
                            .map(|r| w[2 * kk + d] * x[r * BANDS + f])
                    })
                    .sum()
            })
            .collect();
        let want = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        assert!((mx2[4 + 2] - want).abs() < 1e-5);
    }
}

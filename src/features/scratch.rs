//! Per-thread reuse of the large per-track buffers (the spectrogram, the
//! analyser's sample buffer).
//!
//! Why: a fresh multi-megabyte allocation comes straight from the kernel, and
//! the first write to each of its 4 KB pages is a page fault that zeroes the
//! page — about 1 µs each, 1300 of them for one 30-s spectrogram, which was
//! ~5 % of a clip's analysis. Handing the buffer back when done lets the next
//! clip on the same thread write into pages that are already mapped.
//!
//! Buffers above [`MAX_KEPT`] are not kept, so a thread that once analysed a
//! long track does not hold on to tens of megabytes.

use std::cell::RefCell;

/// Largest buffer kept for reuse, in f32 values (16 MB: a 95-s spectrogram).
const MAX_KEPT: usize = 4 << 20;
/// Buffers kept per thread (the spectrogram and the sample buffer).
const POOL_SIZE: usize = 2;

thread_local! {
    static POOL: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for at least `capacity` values, reusing a kept
/// one when there is one (the smallest that fits, else the largest).
pub(crate) fn take(capacity: usize) -> Vec<f32> {
    let kept = POOL
        .try_with(|p| {
            let mut p = p.borrow_mut();
            let fits = (0..p.len())
                .filter(|&i| p[i].capacity() >= capacity)
                .min_by_key(|&i| p[i].capacity());
            let pick = fits.or_else(|| (0..p.len()).max_by_key(|&i| p[i].capacity()));
            pick.map(|i| p.swap_remove(i))
        })
        .ok()
        .flatten();
    let mut v = kept.unwrap_or_default();
    v.clear();
    v.reserve(capacity);
    v
}

/// Give a buffer back for reuse on this thread (dropped if too large, or if
/// the pool is full and it is smaller than every kept one).
pub(crate) fn give(v: Vec<f32>) {
    if v.capacity() == 0 || v.capacity() > MAX_KEPT {
        return;
    }
    // During thread teardown the pool may be gone: then just drop.
    let _ = POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < POOL_SIZE {
            p.push(v);
        } else if let Some(i) = (0..p.len()).min_by_key(|&i| p[i].capacity()) {
            if p[i].capacity() < v.capacity() {
                p[i] = v;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_kept_buffers_and_drops_huge_ones() {
        let a = take(1000);
        let ptr = a.as_ptr();
        give(a);
        let b = take(500);
        assert_eq!(b.as_ptr(), ptr, "the kept buffer is reused");
        assert!(b.is_empty() && b.capacity() >= 500);
        give(b);
        // A larger request grows the kept buffer (still at least that big).
        let c = take(5000);
        assert!(c.is_empty() && c.capacity() >= 5000);
        give(c);
        give(Vec::with_capacity(MAX_KEPT + 1));
        POOL.with(|p| {
            let p = p.borrow();
            assert!(!p.is_empty() && p.iter().all(|v| v.capacity() <= MAX_KEPT));
        });
    }
}

//! The process's memory: how much is resident, its peak, and handing
//! freed heap memory back to the system. glibc's allocator keeps what a
//! program frees for its later allocations, in the arena of the thread
//! that allocated it: the index's rows freed by the main thread (0.75 GB
//! at 100 000 tracks with embeddings) stay resident while the model's
//! worker threads allocate anew in their own arenas, and the process's
//! peak is the sum of both. [`release_freed`] returns the free pages of
//! every arena (`malloc_trim(0)`).

/// Give the heap's free pages back to the system (glibc on Linux; a
/// no-op elsewhere). It takes milliseconds: call it after a large free.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only hands back free pages of the allocator's
    // own arenas; no memory the program holds is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The process's peak resident memory so far, bytes (Linux: VmHWM of
/// /proc/self/status).
pub fn peak_rss() -> Option<u64> {
    status_bytes("VmHWM:")
}

/// The process's resident memory now, bytes (Linux: VmRSS).
pub fn resident() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// A "Name:   123 kB" line of /proc/self/status, in bytes.
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line
        .trim_start_matches(field)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// glibc on Linux: the one platform where memory is handed back.
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn freed_memory_goes_back_to_the_system() {
        let before = resident().expect("Linux reports VmRSS");
        // Many small blocks (below the allocator's mmap threshold, so in
        // the heap), all freed but the last: the heap cannot shrink from
        // its top, only `release_freed` hands the pages back.
        let mut blocks: Vec<Vec<u8>> = (0..40_000).map(|i| vec![i as u8; 6000]).collect();
        let last = blocks.pop();
        let full = resident().unwrap_or(0);
        drop(blocks);
        release_freed();
        let after = resident().unwrap_or(u64::MAX);
        assert!(last.is_some_and(|b| b.len() == 6000));
        assert!(full > before + 200_000_000, "{before} {full}");
        // 240 MB were resident; most of it is given back.
        assert!(after + 150_000_000 < full, "{before} {full} {after}");
    }
}

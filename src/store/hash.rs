//! The stable hash of file checksums and file names.

/// FNV-1a, 64 bit: a tiny, stable, dependency-free hash. Used for the index
/// checksum (detects corruption, not tampering) and to key default index
/// files by library path; both only need stability across runs and platforms.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

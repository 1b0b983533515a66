//! The library: scanning folders, labels, and the incremental index.
//!
//! Flow: [`choice`] decides which folder is the library, [`scan`] lists its
//! audio files (through the [`fs::Fs`] abstraction so IO faults can be
//! injected in tests), [`labels`] derives GTZAN-style genre labels,
//! [`indexer`] analyses what changed in parallel and [`index`] stores the
//! result atomically ([`atomic`]). [`summary`] turns the outcome into text.

pub mod add;
pub mod atomic;
pub mod choice;
pub mod deep;
#[cfg(feature = "embeddings")]
pub mod embed;
pub mod framed;
pub mod fs;
pub mod index;
pub mod indexer;
pub mod labels;
pub mod location;
pub mod paths;
pub mod progress;
pub mod scan;
pub mod session;
pub mod summary;

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

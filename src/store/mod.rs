//! The bottom layer: how musim keeps files. Atomic writes, framed and
//! checksummed file formats, platform folders, paths as bytes and as text,
//! and the one stable hash. Knows nothing of music.

pub mod atomic;
pub mod framed;
pub mod hash;
pub mod location;
pub mod paths;
pub mod stamp;

pub use hash::fnv1a64;

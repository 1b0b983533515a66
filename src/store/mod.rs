//! The bottom layer: how musim keeps files. Atomic writes, framed and
//! checksummed file formats, platform folders, paths as bytes and as text,
//! text made safe for a terminal and JSON safe to print, and the one stable
//! hash. Knows nothing of music.

pub mod atomic;
pub mod backup;
pub mod framed;
pub mod hash;
pub mod json;
pub mod location;
pub mod lock;
pub mod paths;
pub mod regular;
pub mod sections;
pub mod stamp;
pub mod text;

pub use hash::fnv1a64;

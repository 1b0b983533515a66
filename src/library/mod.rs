//! The library's storage: scanning folders, labels, and the incremental
//! index with its deep-embedding table.
//!
//! Flow: [`scan`] lists a folder's audio files (through the [`fs::Fs`]
//! abstraction so IO faults can be injected in tests), [`labels`] derives
//! GTZAN-style genre labels, [`indexer`] analyses what changed in parallel
//! and [`index`] stores the result atomically; [`shard`] splits a library
//! between machines and [`merge`] joins their indexes. Which folder is the library,
//! and what the commands do with the index, is [`crate::app`]'s business.

pub mod deep;
pub mod fs;
pub mod index;
pub(crate) mod index_map;
pub mod indexer;
pub mod labels;
pub mod merge;
pub mod progress;
pub mod scan;
pub mod shard;

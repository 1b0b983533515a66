//! musim: music similarity and genre explorer.
//!
//! Data flow: `audio` (decode, resample to mono 22050 Hz) → `features`
//! (librosa-faithful frame features, pooled into a fingerprint) → `library`
//! (scan, incremental index) → model / query / tui / report.

pub mod analysis;
pub mod app;
pub mod audio;
pub mod cpu;
#[cfg(feature = "embeddings")]
pub mod deep;
pub mod demo;
pub mod eval;
pub mod export;
pub mod features;
pub mod library;
pub mod model;
pub mod playback;
pub mod query;
pub mod report;
pub mod similarity;
pub mod store;
pub mod tags;
pub mod tui;
pub mod youtube;

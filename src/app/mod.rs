//! The commands, shared by the command line and the explorer: which
//! library and index (session, choice), the pipeline that brings index,
//! embeddings and model up to date, the model file beside the index,
//! adding files to the library, and the text and progress shown on stderr.
//!
//! The top layer below `main.rs` and `tui`: it may use every other module,
//! and none of them uses it.

pub mod add;
pub mod choice;
pub mod demo_progress;
#[cfg(feature = "embeddings")]
pub mod embed;
pub mod message;
pub mod model_file;
pub mod pipeline;
pub mod play;
pub mod progress;
pub mod session;
pub mod signal;
pub mod stages;
pub mod summary;

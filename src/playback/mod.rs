//! Audio previews: a window from the middle of each track, played one after
//! another with fades, on a thread that owns the sound output.
//!
//! musim decodes with its own decoder (every format it can analyse can be
//! previewed), cuts and converts the clip here, and hands rodio plain sample
//! buffers. The logic ([`engine`]) runs against an [`engine::Output`] trait:
//! the sound card (`device`, cargo feature `playback`) or a
//! [`record::Recorder`] in tests. Without the feature, or without a sound
//! device, [`device::open`] says why and everything else still works.

pub mod device;
pub mod engine;
pub mod fade;
pub mod player;
pub mod playlist;
pub mod preview;
pub mod rate;
pub mod record;

#[cfg(all(feature = "playback", target_os = "linux"))]
mod quiet_alsa;

#[cfg(test)]
mod tests;

use std::any::Any;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use player::{Event, Player};
pub use preview::PreviewOptions;

/// One entry of a play list.
#[derive(Clone)]
pub struct Item {
    /// The audio file.
    pub path: PathBuf,
    /// What to call it (file name, or a video's title).
    pub title: String,
    /// Its row in the library model, if it is a library track.
    pub track: Option<usize>,
    /// Its duration when known (places the window without measuring).
    pub duration_s: Option<f64>,
    /// Kept alive while the item is in a play list, e.g. the temporary
    /// folder of a download, which is removed when the last holder lets go.
    pub keep: Option<Arc<dyn Any + Send + Sync>>,
}

impl Item {
    /// An item for a file, titled by its file name.
    pub fn file(path: PathBuf) -> Item {
        let title = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Item {
            path,
            title,
            track: None,
            duration_s: None,
            keep: None,
        }
    }
}

/// Equal when they name the same file the same way (what is kept alive
/// does not count).
impl PartialEq for Item {
    fn eq(&self, other: &Item) -> bool {
        self.path == other.path
            && self.title == other.title
            && self.track == other.track
            && self.duration_s == other.duration_s
    }
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item")
            .field("path", &self.path)
            .field("title", &self.title)
            .field("track", &self.track)
            .field("duration_s", &self.duration_s)
            .field("keep", &self.keep.is_some())
            .finish()
    }
}

/// What the user asks of the player.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Play these items' previews in order (replacing any list).
    Play(Vec<Item>),
    /// Fade out and forget the list.
    Stop,
    /// Skip to the next item (stops after the last).
    Next,
    /// Back to the previous item (the first starts again).
    Previous,
    /// Pause or resume.
    TogglePause,
    /// Set the volume, 0..=1.
    Volume(f32),
}

/// What the player is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Nothing to play.
    Idle,
    /// Decoding the current item.
    Loading,
    /// Playing.
    Playing,
    /// Paused.
    Paused,
}

/// The player's state, as the UI shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// What it is doing.
    pub phase: Phase,
    /// Position of the current item in the list.
    pub index: Option<usize>,
    /// Items in the list.
    pub total: usize,
    /// The current item's title.
    pub title: String,
    /// The current item's file.
    pub path: Option<PathBuf>,
    /// The current item's library row, if any.
    pub track: Option<usize>,
    /// Position in the preview, seconds (what is heard now).
    pub position_s: f64,
    /// Length of the preview, seconds.
    pub length_s: f64,
    /// Volume, 0..=1.
    pub volume: f32,
}

impl Status {
    /// The idle state.
    pub fn idle() -> Status {
        Status {
            phase: Phase::Idle,
            index: None,
            total: 0,
            title: String::new(),
            path: None,
            track: None,
            position_s: 0.0,
            length_s: 0.0,
            volume: 1.0,
        }
    }
}

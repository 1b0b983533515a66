//! Decoding any audio file to mono f32 at 22050 Hz, streaming.
//!
//! symphonia for everything it reads, our own parser for Sun `.au`, and
//! `ffmpeg` (when on PATH) for what neither can decode.

pub mod au;
pub mod decode;
pub mod external;
pub mod resample;

use std::path::{Path, PathBuf};

/// Why a file could not be decoded. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read file: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file has no bytes.
    #[error("{path}: empty file (0 bytes)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Not a recognised audio format.
    #[error("{path}: not an audio file musim can read ({detail})")]
    NotAudio {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// Recognised container but a codec nobody here can decode.
    #[error("{path}: unsupported codec {codec} ({hint})")]
    UnsupportedCodec {
        /// The file.
        path: PathBuf,
        /// The codec's name.
        codec: String,
        /// What the user can do.
        hint: String,
    },
    /// Decoding failed part-way or the data is damaged.
    #[error("{path}: damaged or truncated audio: {detail}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The file decodes to no samples at all.
    #[error("{path}: contains no audio samples")]
    NoAudio {
        /// The file.
        path: PathBuf,
    },
}

/// What the decoder found out about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    /// Native sample rate, Hz.
    pub sample_rate: u32,
    /// Native channel count.
    pub channels: u16,
    /// Codec name, e.g. "vorbis", "pcm_s16le", "mulaw".
    pub codec: String,
    /// Duration from the container, if it says.
    pub duration_s: Option<f64>,
}

/// A streaming decoder producing mono 22050 Hz f32 chunks.
pub struct MonoStream {
    info: AudioInfo,
}

impl MonoStream {
    /// Information about the source.
    pub fn info(&self) -> &AudioInfo {
        &self.info
    }

    /// Next chunk of mono 22050 Hz samples; `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        unimplemented!("audio helper implements this")
    }
}

/// Open `path` for streaming decoding.
pub fn open(path: &Path) -> Result<MonoStream, AudioError> {
    let _ = path;
    unimplemented!("audio helper implements this")
}

/// Decode a whole file to mono 22050 Hz (for tests and short clips).
pub fn decode_mono(path: &Path) -> Result<(AudioInfo, Vec<f32>), AudioError> {
    let mut s = open(path)?;
    let mut out = Vec::new();
    while let Some(c) = s.next_chunk()? {
        out.extend_from_slice(&c);
    }
    Ok((s.info().clone(), out))
}

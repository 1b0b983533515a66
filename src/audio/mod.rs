//! Decoding any audio file to mono f32 at 22050 Hz, streaming.
//!
//! symphonia for everything it reads, our own parser for Sun `.au`, and
//! `ffmpeg` (when on PATH) for what neither can decode; plain PCM WAV takes a
//! direct reader (`wav`), which is faster than symphonia's generic path. Every backend is a
//! [`Source`] yielding mono blocks at the file's own rate; [`MonoStream`]
//! resamples them to [`TARGET_RATE`] and hands them out in chunks of about
//! two seconds, so memory stays flat however long the file is.

pub(crate) mod art_blocks;
pub mod au;
pub(crate) mod damage;
pub mod decode;
pub mod external;
pub(crate) mod feeder;
pub(crate) mod ogg_pages;
pub(crate) mod ogg_slim;
pub mod resample;
pub(crate) mod spliced;
pub(crate) mod wav;

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::store::paths::show;
pub use damage::MIN_SURVIVING;
use resample::MonoResampler;
pub use resample::TARGET_RATE;

/// Samples per chunk handed out by [`MonoStream::next_chunk`] (2 s).
pub const CHUNK_SAMPLES: usize = 2 * TARGET_RATE as usize;

/// Environment variable naming the ffmpeg program (default: `ffmpeg` on PATH).
pub const FFMPEG_ENV: &str = "MUSIM_FFMPEG";

/// Why a file could not be decoded. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("{}: cannot read file: {source}", show(.path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file has no bytes.
    #[error("{}: empty file (0 bytes)", show(.path))]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Not a recognised audio format.
    #[error("{}: not an audio file musim can read ({detail})", show(.path))]
    NotAudio {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// Recognised container but a codec nobody here can decode.
    #[error("{}: unsupported codec {codec} ({hint})", show(.path))]
    UnsupportedCodec {
        /// The file.
        path: PathBuf,
        /// The codec's name.
        codec: String,
        /// What the user can do.
        hint: String,
    },
    /// Decoding failed part-way or the data is damaged.
    #[error("{}: damaged or truncated audio: {detail}", show(.path))]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The file decodes to no samples at all.
    #[error("{}: contains no audio samples", show(.path))]
    NoAudio {
        /// The file.
        path: PathBuf,
    },
}

impl AudioError {
    /// A [`AudioError::Corrupt`] for `path`.
    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    /// A [`AudioError::NotAudio`] for `path`.
    pub(crate) fn not_audio(path: &Path, detail: impl Into<String>) -> Self {
        Self::NotAudio {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    /// A [`AudioError::Io`] for `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
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

/// How to decode: which external program to fall back on.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// The ffmpeg program used for codecs symphonia cannot decode; `None`
    /// disables the fallback.
    pub ffmpeg: Option<OsString>,
}

impl DecodeOptions {
    /// Options from the environment: `$MUSIM_FFMPEG`, else `ffmpeg` on PATH.
    pub fn from_env() -> Self {
        let ffmpeg = std::env::var_os(FFMPEG_ENV)
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| OsString::from("ffmpeg"));
        Self {
            ffmpeg: Some(ffmpeg),
        }
    }
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self::from_env()
    }
}

/// A decoding backend: mono blocks at the file's own sample rate.
pub(crate) trait Source: Send {
    /// The next block of mono samples; `None` at the end.
    fn next_block(&mut self) -> Result<Option<Vec<f32>>, AudioError>;
    /// Warnings gathered since the last call (damaged packets, truncation).
    fn take_warnings(&mut self) -> Vec<String>;
    /// Jump to about `seconds` from the start; the time landed on, or
    /// `None` when this source cannot seek (the caller decodes forward).
    fn seek(&mut self, _seconds: f64) -> Option<f64> {
        None
    }
    /// `Err` when too little of what was read decoded (damage skipped).
    fn damage_verdict(&self) -> Result<(), AudioError> {
        Ok(())
    }
}

/// A backend ready to stream.
pub(crate) struct Opened {
    /// What is known about the file.
    pub info: AudioInfo,
    /// Sample rate of the blocks the source yields.
    pub rate: u32,
    /// The decoder.
    pub source: Box<dyn Source>,
}

/// Why a backend declined a file, so `open` can try the next one.
pub(crate) enum Rejected {
    /// A definite answer: report it.
    Fatal(AudioError),
    /// The container is known but its codec is not decodable here.
    Codec {
        /// Codec name for the message.
        codec: String,
        /// What is known about the stream.
        info: Option<AudioInfo>,
    },
    /// The format was not recognised at all.
    Unrecognised(String),
}

impl From<AudioError> for Rejected {
    fn from(e: AudioError) -> Self {
        Rejected::Fatal(e)
    }
}

/// A streaming decoder producing mono 22050 Hz f32 chunks.
pub struct MonoStream {
    info: AudioInfo,
    path: PathBuf,
    source: Box<dyn Source>,
    resampler: MonoResampler,
    /// Resampled output; `out[pos..]` is not handed out yet.
    out: Vec<f32>,
    pos: usize,
    /// The source has ended and the resampler is flushed.
    done: bool,
    warnings: Vec<String>,
    /// Count of NaN/inf samples replaced by 0.
    non_finite: u64,
    /// Position of `out[0]` in output samples from the start of the file.
    position: u64,
    /// Native sample rate of the source's blocks.
    rate: u32,
}

impl MonoStream {
    fn new(path: &Path, opened: Opened) -> Result<Self, AudioError> {
        let resampler = MonoResampler::new(opened.rate)
            .map_err(|e| AudioError::corrupt(path, e.to_string()))?;
        Ok(Self {
            info: opened.info,
            path: path.to_path_buf(),
            source: opened.source,
            resampler,
            out: Vec::new(),
            pos: 0,
            done: false,
            warnings: Vec::new(),
            non_finite: 0,
            position: 0,
            rate: opened.rate,
        })
    }

    /// Where the next chunk starts, seconds from the start of the file.
    pub fn position_s(&self) -> f64 {
        self.position as f64 / f64::from(TARGET_RATE)
    }

    /// Continue from about `seconds` into the file. Seeks in the container
    /// when the decoder can (the skipped audio is never decoded), else
    /// decodes forward and drops what lies before. Going back needs a seek;
    /// a source that cannot is left where it is (returns false).
    pub fn seek_to(&mut self, seconds: f64) -> Result<bool, AudioError> {
        let target = (seconds.max(0.0) * f64::from(TARGET_RATE)) as u64;
        if let Some(at) = self.source.seek(seconds) {
            self.warnings.extend(self.source.take_warnings());
            self.resampler = MonoResampler::new(self.rate)
                .map_err(|e| AudioError::corrupt(&self.path, e.to_string()))?;
            self.out.clear();
            self.pos = 0;
            self.done = false;
            self.position = (at.max(0.0) * f64::from(TARGET_RATE)) as u64;
            // A coarse seek may land early: drop the lead-in.
            return self.skip_to(target).map(|_| true);
        }
        if target < self.position {
            return Ok(false);
        }
        self.skip_to(target).map(|_| true)
    }

    /// Decode forward, discarding, until `out` starts at `target`.
    fn skip_to(&mut self, target: u64) -> Result<(), AudioError> {
        self.out.drain(..self.pos);
        self.pos = 0;
        while self.position < target {
            if self.out.is_empty() {
                if self.done {
                    return Ok(());
                }
                self.pull()?;
                continue;
            }
            let drop = ((target - self.position) as usize).min(self.out.len());
            self.out.drain(..drop);
            self.position += drop as u64;
        }
        Ok(())
    }

    /// `Err` when too little of the audio read so far survived damage (at
    /// least [`MIN_SURVIVING`] must decode). Decoding to the end checks this
    /// by itself; a caller that reads only parts (seeking) asks here.
    pub fn check_damage(&self) -> Result<(), AudioError> {
        self.source.damage_verdict()
    }

    /// Information about the source.
    pub fn info(&self) -> &AudioInfo {
        &self.info
    }

    /// Things that went wrong but did not stop decoding, e.g.
    /// `"truncated: decoding stopped at 3.2 s"` or skipped damaged packets.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Hand up to `len` samples from the current position to `f`, chunk by
    /// chunk (an analysis window); how many there were.
    pub fn take(&mut self, len: usize, mut f: impl FnMut(&[f32])) -> Result<usize, AudioError> {
        let mut got = 0;
        while got < len {
            let Some(chunk) = self.next_chunk()? else {
                break;
            };
            let n = chunk.len().min(len - got);
            f(&chunk[..n]);
            got += n;
        }
        Ok(got)
    }

    /// Next chunk of mono 22050 Hz samples (about 2 s); `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        while self.out.len() - self.pos < CHUNK_SAMPLES && !self.done {
            // Drop what was handed out before adding more, so `out` stays
            // about one source block long.
            self.out.drain(..self.pos);
            self.pos = 0;
            self.pull()?;
        }
        let n = (self.out.len() - self.pos).min(CHUNK_SAMPLES);
        if n == 0 {
            return Ok(None);
        }
        // Hand out the buffer itself when little follows the chunk (sources
        // deliver about a chunk at a time: a 22050 Hz WAV block becomes the
        // chunk without any copy); otherwise copy from an offset, since
        // splitting the chunk off the front would copy the whole remainder
        // each time (quadratic in the block size).
        let rest = self.out.len() - self.pos - n;
        if self.pos == 0 && rest <= n / 2 {
            let tail = self.out.split_off(n);
            self.position += n as u64;
            return Ok(Some(std::mem::replace(&mut self.out, tail)));
        }
        let chunk = self.out[self.pos..self.pos + n].to_vec();
        self.pos += n;
        self.position += n as u64;
        Ok(Some(chunk))
    }

    /// Move one source block through the resampler into `out`.
    fn pull(&mut self) -> Result<(), AudioError> {
        let block = self.source.next_block();
        self.warnings.extend(self.source.take_warnings());
        match block? {
            Some(mut b) => {
                self.non_finite += sanitize(&mut b);
                self.resampler.push_owned(b, &mut self.out);
            }
            None => {
                self.resampler.finish(&mut self.out);
                self.done = true;
                if self.non_finite > 0 {
                    self.warnings.push(format!(
                        "replaced {} invalid (NaN or infinite) samples with silence",
                        self.non_finite
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Replace NaN/inf by 0 (features must never see them); returns how many.
/// Branch-free per sample so it vectorises (it touches every sample).
/// The warning for a file that ended before its declared length:
/// `truncated: decoding stopped at 12.3 s (the file says 60.0 s)`, `by`
/// naming what declared it ("file", "header").
pub(crate) fn truncation_warning(at_s: f64, declared_s: Option<f64>, by: &str) -> String {
    match declared_s {
        Some(total) => {
            format!("truncated: decoding stopped at {at_s:.1} s (the {by} says {total:.1} s)")
        }
        None => format!("truncated: decoding stopped at {at_s:.1} s"),
    }
}

fn sanitize(block: &mut [f32]) -> u64 {
    let mut n = 0u64;
    for v in block.iter_mut() {
        let bad = !v.is_finite();
        n += u64::from(bad);
        *v = if bad { 0.0 } else { *v };
    }
    n
}

/// Open `path` for streaming decoding.
pub fn open(path: &Path) -> Result<MonoStream, AudioError> {
    open_with(path, &DecodeOptions::from_env())
}

/// Open `path` for streaming decoding with explicit options (e.g. a given
/// ffmpeg program, without touching the process environment).
pub fn open_with(path: &Path, opts: &DecodeOptions) -> Result<MonoStream, AudioError> {
    let head = read_head(path)?;
    let first = if au::is_au(&head) {
        au::open(path)
    } else if let Some(kind) = sniff_non_audio(&head) {
        return Err(AudioError::not_audio(path, format!("looks like {kind}")));
    } else if wav::is_riff_wave(&head) {
        // Plain PCM WAV takes the direct reader; other WAVs go to symphonia.
        match wav::open(path)? {
            Some(opened) => Ok(opened),
            None => decode::open(path),
        }
    } else {
        decode::open(path)
    };
    match first {
        Ok(opened) => MonoStream::new(path, opened),
        Err(Rejected::Fatal(e)) => Err(e),
        Err(Rejected::Codec { codec, info }) => fallback_codec(path, opts, codec, info),
        Err(Rejected::Unrecognised(detail)) => fallback_unrecognised(path, opts, &head, detail),
    }
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

/// Hint shown when ffmpeg would help but is missing.
const INSTALL_FFMPEG: &str = "install ffmpeg to decode it";

/// A known container with a codec symphonia lacks: try ffmpeg.
fn fallback_codec(
    path: &Path,
    opts: &DecodeOptions,
    codec: String,
    info: Option<AudioInfo>,
) -> Result<MonoStream, AudioError> {
    let unsupported = |hint: String| AudioError::UnsupportedCodec {
        path: path.to_path_buf(),
        codec: codec.clone(),
        hint,
    };
    let Some(program) = &opts.ffmpeg else {
        return Err(unsupported(INSTALL_FFMPEG.to_string()));
    };
    // An Ogg file with an embedded picture is given to ffmpeg without it.
    let input = ogg_slim::slim(path).map_or(external::Input::File, external::Input::Ogg);
    match external::open(path, program, info.as_ref(), &codec, input) {
        Ok(opened) => MonoStream::new(path, opened),
        Err(external::Failure::Missing) => Err(unsupported(format!(
            "ffmpeg was not found as {:?}; {INSTALL_FFMPEG}",
            program
        ))),
        Err(external::Failure::Error(e)) => Err(e),
    }
}

/// Neither symphonia nor our .au parser knows the format: ffmpeg may.
fn fallback_unrecognised(
    path: &Path,
    opts: &DecodeOptions,
    head: &[u8],
    detail: String,
) -> Result<MonoStream, AudioError> {
    if looks_like_text(head) {
        return Err(AudioError::not_audio(path, "looks like a text file"));
    }
    let not_audio = || {
        AudioError::not_audio(
            path,
            format!("format not recognised: {detail}; if it is audio in another format (e.g. WMA), {INSTALL_FFMPEG}"),
        )
    };
    let Some(program) = &opts.ffmpeg else {
        return Err(not_audio());
    };
    match external::open(path, program, None, "unknown", external::Input::File) {
        Ok(opened) => MonoStream::new(path, opened),
        Err(external::Failure::Missing) => Err(not_audio()),
        // Neither symphonia nor ffmpeg found audio in it: not an audio file,
        // whatever ffmpeg's guess at a damaged stream says.
        Err(external::Failure::Error(AudioError::Corrupt { detail, .. })) => Err(
            AudioError::not_audio(path, format!("format not recognised ({detail})")),
        ),
        Err(external::Failure::Error(e)) => Err(e),
    }
}

/// Number of leading bytes used to sniff the format.
const HEAD_LEN: usize = 512;

/// Check the path is a non-empty file and return its first bytes.
fn read_head(path: &Path) -> Result<Vec<u8>, AudioError> {
    let meta = std::fs::metadata(path).map_err(|e| AudioError::io(path, e))?;
    if meta.is_dir() {
        return Err(AudioError::not_audio(path, "it is a folder"));
    }
    if meta.len() == 0 {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(|e| AudioError::io(path, e))?;
    let mut head = Vec::with_capacity(HEAD_LEN);
    file.take(HEAD_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| AudioError::io(path, e))?;
    if head.is_empty() {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(head)
}

/// Recognise common non-audio files by their magic bytes, so they get a
/// precise message instead of a decoder's guess.
fn sniff_non_audio(head: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x7fELF", "a program (ELF executable)"),
        (b"\x1f\x8b", "a gzip archive"),
    ];
    MAGICS
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, kind)| *kind)
}

/// True when the head is plausibly text: valid UTF-8 (allowing a cut last
/// character) with no control bytes other than whitespace.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        // A multi-byte character cut by the end of the head is fine.
        Err(e) if e.error_len().is_none() => {
            match std::str::from_utf8(head.get(..e.valid_up_to()).unwrap_or_default()) {
                Ok(s) => s,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    !valid.is_empty()
        && valid
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_sniffing() {
        assert!(looks_like_text(b"hello world\nthis is text"));
        assert!(looks_like_text("caf\u{e9}".as_bytes()));
        assert!(!looks_like_text(b"RIFF\x00\x01\x02"));
        assert!(!looks_like_text(b""));
    }

    #[test]
    fn sanitize_counts() {
        let mut v = vec![1.0, f32::NAN, f32::INFINITY, -2.0];
        assert_eq!(sanitize(&mut v), 2);
        assert_eq!(v, vec![1.0, 0.0, 0.0, -2.0]);
    }
}

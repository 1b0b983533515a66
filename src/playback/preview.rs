//! Cutting a preview: a window of a track (the middle ~15 s), decoded by
//! musim's own decoder, converted to the output's rate and faded in and out.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crate::audio::{self, AudioError, TARGET_RATE};

use super::{fade, rate};

/// Shortest and longest preview a user may ask for, seconds.
pub const SECONDS_RANGE: (f64, f64) = (1.0, 600.0);

/// How previews are cut and joined.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewOptions {
    /// Length of a preview, seconds (the whole track when it is shorter).
    pub seconds: f64,
    /// Fade in at the start of a preview, seconds.
    pub fade_in_s: f64,
    /// Fade out at its end, seconds.
    pub fade_out_s: f64,
    /// Ramp used to stop, skip or pause in the middle of a preview, seconds.
    pub cut_s: f64,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        PreviewOptions {
            seconds: 15.0,
            fade_in_s: 0.5,
            fade_out_s: 1.0,
            cut_s: 0.03,
        }
    }
}

/// Why preview options were refused.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// A preview length outside [`SECONDS_RANGE`] (or not a number).
    #[error(
        "preview length {0} s: give between {min} and {max} seconds",
        min = SECONDS_RANGE.0,
        max = SECONDS_RANGE.1
    )]
    Length(f64),
}

/// Why a preview clip could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    /// The file could not be decoded.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The decoder panicked on the file.
    #[error("{}: the decoder failed on this file", crate::store::paths::show(.0))]
    DecoderPanicked(PathBuf),
}

impl PreviewOptions {
    /// The defaults with previews of `seconds` (checked: 1 to 600 s).
    pub fn with_seconds(seconds: f64) -> Result<PreviewOptions, OptionsError> {
        if !seconds.is_finite() || seconds < SECONDS_RANGE.0 || seconds > SECONDS_RANGE.1 {
            return Err(OptionsError::Length(seconds));
        }
        Ok(PreviewOptions {
            seconds,
            ..PreviewOptions::default()
        })
    }
}

/// A decoded preview, ready to play.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// Mono samples at [`Clip::rate`], faded in and out.
    pub samples: Vec<f32>,
    /// Sample rate, Hz.
    pub rate: u32,
    /// Where the window starts in the track, seconds.
    pub start_s: f64,
}

impl Clip {
    /// Length, seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.rate.max(1))
    }
}

/// Start (seconds) of a `len_s` window centred in a `track_s` track; 0 when
/// the track is shorter than the window.
pub fn window_start(track_s: f64, len_s: f64) -> f64 {
    ((track_s - len_s) / 2.0).max(0.0)
}

/// Decode the preview of `path` at `rate` Hz. `duration_s` (e.g. the
/// library's) places the window; else the container's duration; else the
/// file is decoded once to measure it. The decoder seeks to the window
/// where the container allows (the fade-in covers the resampler's restart).
/// A file shorter than, or ending before, the window gives its last
/// `seconds`.
pub fn load(
    path: &Path,
    duration_s: Option<f64>,
    opts: &PreviewOptions,
    rate: u32,
) -> Result<Clip, AudioError> {
    let mut stream = audio::open(path)?;
    let known = |d: Option<f64>| d.filter(|d| d.is_finite() && *d > 0.0);
    let total = match known(duration_s).or_else(|| known(stream.info().duration_s)) {
        Some(t) => t,
        None => {
            let mut n = 0usize;
            while let Some(c) = stream.next_chunk()? {
                n += c.len();
            }
            stream = audio::open(path)?;
            n as f64 / f64::from(TARGET_RATE)
        }
    };
    let sr = f64::from(TARGET_RATE);
    let want = ((opts.seconds * sr).round() as usize).max(1);
    let start = (window_start(total, opts.seconds) * sr).round() as usize;
    let (mut window, mut first, end) = cut_from(&mut stream, start, want)?;
    if window.len() < want && first > 0 {
        // It ended before the window did (a duration too long): its last
        // `want` samples, now that the end is known.
        let mut again = audio::open(path)?;
        (window, first, _) = cut_from(&mut again, end.saturating_sub(want), want)?;
    }
    if window.is_empty() {
        return Err(AudioError::NoAudio {
            path: path.to_path_buf(),
        });
    }
    let mut samples = rate::convert(&window, TARGET_RATE, rate);
    let r = f64::from(rate);
    fade::apply_edges(
        &mut samples,
        (opts.fade_in_s * r) as usize,
        (opts.fade_out_s * r) as usize,
    );
    Ok(Clip {
        samples,
        rate,
        start_s: first as f64 / sr,
    })
}

/// Seek to `start` (the container skips what it can; the rest is decoded
/// and dropped), then [`cut`].
fn cut_from(
    stream: &mut audio::MonoStream,
    start: usize,
    want: usize,
) -> Result<(Vec<f32>, usize, usize), AudioError> {
    let sr = f64::from(TARGET_RATE);
    if start > 0 {
        stream.seek_to(start as f64 / sr)?;
    }
    let at = (stream.position_s() * sr).round() as usize;
    cut(stream, at, start, want)
}

/// Samples `start .. start + want` of a stream whose next chunk begins at
/// sample `pos`, the index of the first, and where the stream ended; when
/// it ends too early, the last `want` samples it gave.
fn cut(
    stream: &mut audio::MonoStream,
    mut pos: usize,
    start: usize,
    want: usize,
) -> Result<(Vec<f32>, usize, usize), AudioError> {
    let mut out = Vec::with_capacity(want);
    let mut first = start;
    // The most recent `want` samples, for a stream shorter than promised.
    let mut tail: VecDeque<f32> = VecDeque::with_capacity(want);
    while let Some(chunk) = stream.next_chunk()? {
        let end = pos + chunk.len();
        if end > start {
            let from = start.saturating_sub(pos);
            if out.is_empty() {
                first = pos + from;
            }
            let take = (want - out.len()).min(chunk.len() - from);
            out.extend_from_slice(&chunk[from..from + take]);
            if out.len() == want {
                return Ok((out, first, end));
            }
        }
        let keep = chunk.len().min(want);
        tail.extend(&chunk[chunk.len() - keep..]);
        let excess = tail.len().saturating_sub(want);
        tail.drain(..excess);
        pos = end;
    }
    let first = pos - tail.len();
    Ok((tail.into(), first, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_sits_in_the_middle() {
        assert_eq!(window_start(60.0, 15.0), 22.5);
        assert_eq!(window_start(10.0, 15.0), 0.0);
        assert_eq!(window_start(15.0, 15.0), 0.0);
    }

    #[test]
    fn preview_length_is_checked() {
        assert!(PreviewOptions::with_seconds(15.0).is_ok());
        assert_eq!(
            PreviewOptions::with_seconds(0.5).unwrap_err().to_string(),
            "preview length 0.5 s: give between 1 and 600 seconds"
        );
        for bad in [0.0, -3.0, 0.5, 601.0, f64::NAN, f64::INFINITY] {
            let e = PreviewOptions::with_seconds(bad).unwrap_err().to_string();
            assert!(e.contains("between 1 and 600"), "{e}");
        }
    }
}

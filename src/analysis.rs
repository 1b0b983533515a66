//! File → fingerprint: decode (streaming) and analyse one track.
//!
//! Long tracks are not analysed whole: musim decodes a few evenly spaced
//! windows (seeking past the rest, which is never decoded) and pools their
//! frames. That describes the whole song (intro, verses, bridge, outro)
//! better than one excerpt, at a cost that does not grow with its length.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::audio::{self, AudioError};
use crate::features::{fingerprint::Fingerprint, Analyzer, SR};

/// Which parts of a track are analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Windows {
    /// Number of windows for a long track; 0 analyses every track whole.
    pub count: u32,
    /// Length of each window, seconds.
    pub seconds: u32,
}

impl Default for Windows {
    fn default() -> Self {
        Windows {
            count: DEFAULT_WINDOWS,
            seconds: WINDOW_SECONDS,
        }
    }
}

/// Windows per long track by default.
pub const DEFAULT_WINDOWS: u32 = 6;
/// Seconds per window.
pub const WINDOW_SECONDS: u32 = 30;
/// Tracks up to this long are always analysed whole, seconds (3.5 min).
pub const LONG_TRACK_SECONDS: f64 = 210.0;

impl Windows {
    /// Analyse every track whole (`--whole`).
    pub const WHOLE: Windows = Windows {
        count: 0,
        seconds: WINDOW_SECONDS,
    };

    /// Start times (seconds) of the windows for a track of `duration`
    /// seconds, or `None` to analyse it whole: it is short, the duration is
    /// unknown, or windowing is off. Windows are centred in equal parts of
    /// the track, so they never overlap.
    pub fn starts(&self, duration: Option<f64>) -> Option<Vec<f64>> {
        let d = duration.filter(|d| d.is_finite())?;
        let (n, w) = (self.count as f64, self.seconds as f64);
        if self.count == 0 || d <= LONG_TRACK_SECONDS.max(n * w) {
            return None;
        }
        Some(
            (0..self.count)
                .map(|i| (d * (i as f64 + 0.5) / n - w / 2.0).max(0.0))
                .collect(),
        )
    }

    /// "6 × 30 s windows" or "whole tracks", for messages.
    pub fn describe(&self) -> String {
        if self.count == 0 {
            "whole tracks".to_string()
        } else {
            format!(
                "{} × {} s windows of tracks over {:.1} min",
                self.count,
                self.seconds,
                LONG_TRACK_SECONDS / 60.0
            )
        }
    }
}

/// The analysis of one track.
#[derive(Debug, Clone)]
pub struct TrackAnalysis {
    /// Duration of the track, seconds (of the whole file, also when only
    /// windows of it were decoded).
    pub duration_s: f64,
    /// The track's fingerprint.
    pub fingerprint: Fingerprint,
    /// Problems the decoder worked around (e.g. truncation), each naming the file.
    pub warnings: Vec<String>,
}

/// Decode `path` and compute its fingerprint with the default windows.
pub fn analyze_file(path: &Path) -> Result<TrackAnalysis, AudioError> {
    analyze_file_with(path, &Windows::default())
}

/// Decode `path` (streaming, so memory does not grow with the track's
/// length) and compute its fingerprint, over `windows` of a long track.
pub fn analyze_file_with(path: &Path, windows: &Windows) -> Result<TrackAnalysis, AudioError> {
    analyze_file_observed(path, windows, &mut |_| {})
}

/// What [`analyze_file_observed`] decodes, as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Decoded<'a> {
    /// Before any sample: the file's duration, if known, and how the
    /// track is read.
    Start {
        /// Duration of the whole file, seconds.
        duration_s: Option<f64>,
        /// Number of windows decoded, or `None` for the whole track.
        windows: Option<usize>,
    },
    /// Samples (mono 22050 Hz), in order.
    Samples(&'a [f32]),
    /// The end of one window (windowed tracks only).
    WindowEnd,
}

/// [`analyze_file_with`], showing `observe` everything it decodes, so that
/// another description (the deep embedding) can be made from the same
/// decoding instead of decoding the file again.
pub fn analyze_file_observed(
    path: &Path,
    windows: &Windows,
    observe: &mut dyn FnMut(Decoded<'_>),
) -> Result<TrackAnalysis, AudioError> {
    let mut stream = audio::open(path)?;
    let mut an = Analyzer::new();
    let starts = windows.starts(stream.info().duration_s);
    observe(Decoded::Start {
        duration_s: stream.info().duration_s,
        windows: starts.as_ref().map(Vec::len),
    });
    let duration_s = match starts {
        Some(starts) => {
            let len = windows.seconds as usize * SR as usize;
            let mut decoded = 0usize;
            for &t in &starts {
                if !stream.seek_to(t)? {
                    break;
                }
                decoded += stream.take(len, |c| {
                    an.push(c);
                    observe(Decoded::Samples(c));
                })?;
                an.end_segment();
                observe(Decoded::WindowEnd);
            }
            if decoded == 0 {
                return Err(AudioError::NoAudio {
                    path: path.to_path_buf(),
                });
            }
            stream.check_damage()?;
            stream.info().duration_s.unwrap_or(0.0)
        }
        None => {
            while let Some(chunk) = stream.next_chunk()? {
                an.push(&chunk);
                observe(Decoded::Samples(&chunk));
            }
            if an.samples() == 0 {
                return Err(AudioError::NoAudio {
                    path: path.to_path_buf(),
                });
            }
            an.samples() as f64 / SR as f64
        }
    };
    let warnings = stream
        .warnings()
        .iter()
        .map(|w| format!("{}: {w}", crate::store::paths::show(path)))
        .collect();
    Ok(TrackAnalysis {
        duration_s,
        fingerprint: an.finish(),
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_plan() {
        let w = Windows::default();
        assert_eq!(w.starts(Some(200.0)), None);
        assert_eq!(w.starts(None), None);
        assert_eq!(w.starts(Some(f64::NAN)), None);
        assert_eq!(Windows::WHOLE.starts(Some(3600.0)), None);
        let s = w.starts(Some(600.0)).unwrap();
        assert_eq!(s, vec![35.0, 135.0, 235.0, 335.0, 435.0, 535.0]);
        // Non-overlapping and inside the track, even just above the limit.
        let s = w.starts(Some(211.0)).unwrap();
        for p in s.windows(2) {
            assert!(p[1] - p[0] >= 30.0 - 1e-9);
        }
        assert!(s.last().unwrap() + 30.0 <= 211.0);
        // More windows than fit in 3.5 minutes: whole below n × w.
        let many = Windows {
            count: 10,
            seconds: 30,
        };
        assert_eq!(many.starts(Some(290.0)), None);
        assert_eq!(many.starts(Some(301.0)).unwrap().len(), 10);
    }
}

//! File → fingerprint: decode (streaming) and analyse one track.

use std::path::Path;

use crate::audio::{self, AudioError};
use crate::features::{fingerprint::Fingerprint, Analyzer, SR};

/// The analysis of one track.
#[derive(Debug, Clone)]
pub struct TrackAnalysis {
    /// Duration of the decoded audio, seconds.
    pub duration_s: f64,
    /// The track's fingerprint.
    pub fingerprint: Fingerprint,
    /// Problems the decoder worked around (e.g. truncation), each naming the file.
    pub warnings: Vec<String>,
}

/// Decode `path` and compute its fingerprint, streaming so that memory does not
/// grow with the track's length.
pub fn analyze_file(path: &Path) -> Result<TrackAnalysis, AudioError> {
    let mut stream = audio::open(path)?;
    let mut an = Analyzer::new();
    while let Some(chunk) = stream.next_chunk()? {
        an.push(&chunk);
    }
    let samples = an.samples();
    if samples == 0 {
        return Err(AudioError::NoAudio {
            path: path.to_path_buf(),
        });
    }
    let warnings = stream
        .warnings()
        .iter()
        .map(|w| format!("{}: {w}", path.display()))
        .collect();
    Ok(TrackAnalysis {
        duration_s: samples as f64 / SR as f64,
        fingerprint: an.finish(),
        warnings,
    })
}

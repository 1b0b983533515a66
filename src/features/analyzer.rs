//! Streams a whole track through the feature extractors and pools its frames
//! into a fingerprint.
//!
//! Why segments: a few global quantities in librosa (chroma tuning, the
//! `top_db` floor of the dB conversions) depend on the whole signal, so an
//! exact frame-by-frame stream is impossible. We keep up to
//! `1.5 × SEGMENT_SECONDS` of audio and analyse it exactly as librosa would;
//! longer tracks are cut into segments analysed independently, whose frames
//! are pooled (means/stds from running sums) and whose onset envelopes are
//! joined for the tempo. Tracks up to 6 minutes are therefore bit-for-bit
//! librosa's definition, and memory stays bounded for a 3-hour file.

use super::fingerprint::{Fingerprint, RowStats, DELTA_ROWS};
use super::timbre::GaussianStats;
use super::{delta, rhythm, FrameFeatures, SR};

/// Length of one analysis segment for long tracks.
pub const SEGMENT_SECONDS: usize = 240;
const SEGMENT: usize = SEGMENT_SECONDS * SR as usize;

/// Streaming analyser: `push` mono 22050 Hz samples, then `finish`.
#[derive(Debug)]
pub struct Analyzer {
    buf: Vec<f32>,
    chroma: RowStats,
    centroid: RowStats,
    bandwidth: RowStats,
    rolloff: RowStats,
    contrast: RowStats,
    mfcc: RowStats,
    zcr: RowStats,
    rms: RowStats,
    flatness: RowStats,
    delta: RowStats,
    delta2: RowStats,
    onset: RowStats,
    gaussian: GaussianStats,
    onset_env: Vec<f32>,
    samples: u64,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// A fresh analyser.
    pub fn new() -> Self {
        Analyzer {
            buf: Vec::new(),
            chroma: RowStats::new(12),
            centroid: RowStats::new(1),
            bandwidth: RowStats::new(1),
            rolloff: RowStats::new(1),
            contrast: RowStats::new(7),
            mfcc: RowStats::new(20),
            zcr: RowStats::new(1),
            rms: RowStats::new(1),
            flatness: RowStats::new(1),
            delta: RowStats::new(DELTA_ROWS),
            delta2: RowStats::new(DELTA_ROWS),
            onset: RowStats::new(1),
            gaussian: GaussianStats::new(),
            onset_env: Vec::new(),
            samples: 0,
        }
    }

    /// Feed the next mono 22050 Hz samples.
    pub fn push(&mut self, chunk: &[f32]) {
        if self.buf.capacity() == 0 {
            // A buffer already faulted in by an earlier track on this thread.
            self.buf = super::scratch::take(chunk.len());
        }
        self.samples += chunk.len() as u64;
        self.buf.extend_from_slice(chunk);
        // Keep the tail ≥ half a segment so no segment is a few samples long.
        while self.buf.len() >= SEGMENT + SEGMENT / 2 {
            let rest = self.buf.split_off(SEGMENT);
            let seg = std::mem::replace(&mut self.buf, rest);
            self.add_segment(&seg);
        }
    }

    /// Analyse what has been pushed as a segment of its own, now: the next
    /// samples are not contiguous with it (an analysis window of a long
    /// track), so no frame may straddle the gap.
    pub fn end_segment(&mut self) {
        if !self.buf.is_empty() {
            let seg = std::mem::take(&mut self.buf);
            self.add_segment(&seg);
        }
    }

    /// Number of samples pushed so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    fn add_segment(&mut self, y: &[f32]) {
        let f = super::frame_features(y);
        self.add_frames(&f);
    }

    fn add_frames(&mut self, f: &FrameFeatures) {
        self.chroma.add(&rows_of(&f.chroma));
        self.centroid.add(&[&f.centroid]);
        self.bandwidth.add(&[&f.bandwidth]);
        self.rolloff.add(&[&f.rolloff]);
        self.contrast.add(&rows_of(&f.contrast));
        self.mfcc.add(&rows_of(&f.mfcc));
        self.zcr.add(&[&f.zcr]);
        self.rms.add(&[&f.rms]);
        self.flatness.add(&[&f.flatness]);
        // Deltas per segment: a slope across a segment boundary means nothing.
        self.delta.add(&rows_of(&delta::delta(&f.mfcc, 1)));
        self.delta2.add(&rows_of(&delta::delta(&f.mfcc, 2)));
        self.onset.add(&[&f.onset_env]);
        self.gaussian.add(&f.mfcc);
        self.onset_env.extend_from_slice(&f.onset_env);
    }

    /// Analyse what is left and return the fingerprint (always finite).
    pub fn finish(mut self) -> Fingerprint {
        if !self.buf.is_empty() || self.onset_env.is_empty() {
            let seg = std::mem::take(&mut self.buf);
            self.add_segment(&seg);
            super::scratch::give(seg);
        }
        let mut v = Vec::with_capacity(super::fingerprint::dims());
        for s in [
            &self.chroma,
            &self.centroid,
            &self.bandwidth,
            &self.rolloff,
            &self.contrast,
            &self.mfcc,
        ] {
            s.write_mean_std(&mut v);
        }
        let (tempo, bands) = rhythm::tempo_and_bands(&self.onset_env);
        let tempo = if tempo.is_finite() && tempo > 0.0 {
            tempo
        } else {
            0.0
        };
        v.push(tempo);
        for s in [&self.zcr, &self.rms, &self.flatness] {
            s.write_mean_std(&mut v);
        }
        // The std of the deltas only: their mean is ~0 for any track.
        for s in [&self.delta, &self.delta2] {
            let mut ms = Vec::new();
            s.write_mean_std(&mut ms);
            v.extend_from_slice(&ms[DELTA_ROWS..]);
        }
        self.onset.write_mean_std(&mut v);
        v.extend_from_slice(&bands);
        // Tempo perception is logarithmic (an octave error is one step).
        v.push(if tempo > 0.0 { tempo.ln() } else { 0.0 });
        self.gaussian.write(&mut v);
        debug_assert_eq!(v.len(), super::fingerprint::dims());
        Fingerprint { values: v }
    }
}

/// Fingerprint of a whole in-memory mono 22050 Hz signal.
pub fn fingerprint_of(y: &[f32]) -> Fingerprint {
    let mut a = Analyzer::new();
    a.push(y);
    a.finish()
}

fn rows_of(m: &super::Matrix) -> Vec<&[f32]> {
    (0..m.rows).map(|r| m.row(r)).collect()
}

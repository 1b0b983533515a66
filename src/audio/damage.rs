//! Bookkeeping of audio lost to damage while decoding, as ffmpeg reports it:
//! each damaged place (a run of undecodable packets, or a jump in the
//! timestamps where the demuxer dropped a page or frame that failed its
//! checksum) becomes one warning naming its time in the file, and a file is
//! rejected only when less than [`MIN_SURVIVING`] of its audio decodes.

/// Share of the audio that must decode for a damaged file to be kept.
pub const MIN_SURVIVING: f64 = 0.5;

/// Damaged places named one by one; any more are summed up in one warning.
const NAMED_PLACES: u32 = 5;

/// Timestamp jumps shorter than this are rounding, not lost audio (seconds).
const GAP_TOLERANCE_S: f64 = 0.01;

/// Audio that must decode after a loss before the damaged place is closed:
/// the packet after a dropped page often decodes short, and its own small
/// gap is the same damage, not a second place (seconds).
const CLOSE_AFTER_S: f64 = 0.25;

/// What was decoded and what was lost, along the file's timeline.
#[derive(Debug, Default)]
pub(crate) struct Damage {
    /// Seconds of audio decoded.
    decoded_s: f64,
    /// Seconds lost in the places closed so far.
    lost_s: f64,
    /// Damaged places closed so far.
    places: u32,
    /// The damaged place being extended: (start, seconds lost).
    open: Option<(f64, f64)>,
    /// Audio decoded since the open place's last loss, seconds.
    since_loss_s: f64,
    /// Where the next packet should start, seconds; `None` before the first
    /// packet and after a seek.
    expect_s: Option<f64>,
    /// Warnings not handed out yet.
    warnings: Vec<String>,
}

impl Damage {
    /// A ledger expecting the first packet at `start_s` (known when pages
    /// before the first audio packet were dropped), or at whatever time the
    /// first packet states.
    pub fn new(start_s: Option<f64>) -> Self {
        Self {
            expect_s: start_s,
            ..Self::default()
        }
    }

    /// A packet of the track spans `start_s .. start_s + dur_s`: a jump past
    /// where the previous one ended is audio the demuxer dropped. A jump
    /// beyond `end_s` (the stated length) or backwards is a damaged
    /// timestamp, not lost audio, and is ignored.
    pub fn packet(&mut self, start_s: f64, dur_s: f64, end_s: Option<f64>) {
        if let Some(expect) = self.expect_s {
            let gap = start_s - expect;
            let plausible = end_s.is_none_or(|end| start_s <= end + GAP_TOLERANCE_S);
            if !plausible {
                return;
            }
            if gap > GAP_TOLERANCE_S {
                self.lose(expect, gap);
            }
        }
        self.expect_s = Some(start_s + dur_s.max(0.0));
    }

    /// A packet decoded to `secs` of audio: any open damaged place ends.
    pub fn decoded(&mut self, secs: f64) {
        self.decoded_s += secs;
        self.since_loss_s += secs;
        if self.since_loss_s >= CLOSE_AFTER_S {
            self.close();
        }
    }

    /// A packet starting at `at_s` and lasting `dur_s` could not be decoded.
    pub fn failed(&mut self, at_s: f64, dur_s: f64) {
        self.lose(at_s, dur_s.max(0.0));
    }

    /// A seek: the next packet's time is not a continuation.
    pub fn seeked(&mut self) {
        self.close();
        self.expect_s = None;
    }

    /// Seconds decoded plus seconds lost so far (the open place included).
    pub fn covered_s(&self) -> f64 {
        self.decoded_s + self.lost_s + self.open.map_or(0.0, |(_, s)| s)
    }

    /// The stream ended: close the last place and sum up the unnamed ones.
    /// `missing_s` is audio the container states but no packet covered
    /// (pages dropped at the very end leave no gap in the timestamps); it
    /// is reported but not held against the file, as a stated length can
    /// be wrong.
    pub fn finish(&mut self, missing_s: f64) {
        self.close();
        if missing_s > 0.0 {
            self.warnings.push(format!(
                "damaged audio skipped: {missing_s:.2} s of the {:.1} s the file states \
                 did not decode",
                self.covered_s() + missing_s
            ));
        }
        if self.places > NAMED_PLACES {
            self.warnings.push(format!(
                "{} more damaged places skipped; {:.1} s of audio lost in all",
                self.places - NAMED_PLACES,
                self.lost_s
            ));
        }
    }

    /// `Err` with the reason when too little audio survived the damage.
    pub fn verdict(&self) -> Result<(), String> {
        let lost = self.lost_s + self.open.map_or(0.0, |(_, s)| s);
        let total = self.decoded_s + lost;
        if lost > 0.0 && self.decoded_s < MIN_SURVIVING * total {
            let places = self.places + u32::from(self.open.is_some());
            return Err(format!(
                "only {:.1} s of its {:.1} s of audio could be decoded \
                 ({places} damaged place(s); at least {:.0} % must decode)",
                self.decoded_s,
                total,
                MIN_SURVIVING * 100.0
            ));
        }
        Ok(())
    }

    /// Warnings gathered since the last call.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Extend the open damaged place, or open one at `at_s`.
    fn lose(&mut self, at_s: f64, secs: f64) {
        self.since_loss_s = 0.0;
        match &mut self.open {
            Some((_, lost)) => *lost += secs,
            None => self.open = Some((at_s.max(0.0), secs)),
        }
    }

    /// End the open damaged place, naming it if it is among the first.
    fn close(&mut self) {
        let Some((at, secs)) = self.open.take() else {
            return;
        };
        self.places += 1;
        self.lost_s += secs;
        if self.places <= NAMED_PLACES {
            self.warnings.push(format!(
                "damaged audio at {at:.1} s skipped ({secs:.2} s lost)"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_in_the_timestamps_is_one_named_place() {
        let mut d = Damage::new(None);
        for i in 0..10 {
            // Packets of 0.1 s; the one at 0.5 s is missing.
            if i == 5 {
                continue;
            }
            d.packet(f64::from(i) * 0.1, 0.1, Some(1.0));
            d.decoded(0.1);
        }
        d.finish(0.0);
        let w = d.take_warnings();
        assert_eq!(w, vec!["damaged audio at 0.5 s skipped (0.10 s lost)"]);
        assert!(d.verdict().is_ok());
    }

    #[test]
    fn consecutive_failures_merge_and_most_lost_is_rejected() {
        let mut d = Damage::new(Some(0.0));
        d.packet(0.0, 1.0, None);
        d.decoded(1.0);
        for i in 1..4 {
            d.packet(f64::from(i), 1.0, None);
            d.failed(f64::from(i), 1.0);
        }
        d.finish(0.0);
        assert_eq!(
            d.take_warnings(),
            vec!["damaged audio at 1.0 s skipped (3.00 s lost)"]
        );
        let err = d.verdict().unwrap_err();
        assert!(err.contains("only 1.0 s of its 4.0 s"), "{err}");
    }

    #[test]
    fn implausible_timestamps_are_not_lost_audio() {
        let mut d = Damage::new(None);
        d.packet(0.0, 0.1, Some(1.0));
        d.decoded(0.1);
        d.packet(500.0, 0.1, Some(1.0));
        d.decoded(0.1);
        d.packet(0.1, 0.1, Some(1.0));
        d.decoded(0.1);
        d.finish(0.0);
        assert!(d.take_warnings().is_empty());
        assert!(d.verdict().is_ok());
    }

    #[test]
    fn many_places_are_summed_up() {
        let mut d = Damage::new(None);
        for i in 0..20 {
            d.packet(f64::from(i) * 2.0, 1.0, None);
            d.decoded(1.0);
        }
        d.finish(0.0);
        let w = d.take_warnings();
        assert_eq!(w.len(), NAMED_PLACES as usize + 1, "{w:?}");
        assert!(w[NAMED_PLACES as usize].starts_with("14 more damaged places"));
        // 19 s lost, 20 s decoded: just over half survives.
        assert!(d.verdict().is_ok());
    }
}

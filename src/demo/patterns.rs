//! Rhythm: step grids and the timing that turns steps into samples
//! (tempo, swing, humanisation).

use super::rng::Rng;
use super::synth::SR;

/// A 16-step (one bar of sixteenths) pattern written as text: `x` = hit,
/// `o` = accented hit, anything else = rest. Returns (step, velocity).
pub fn steps(pattern: &str) -> Vec<(usize, f32)> {
    pattern
        .chars()
        .filter(|c| !c.is_whitespace())
        .enumerate()
        .filter_map(|(i, c)| match c {
            'x' => Some((i, 0.75)),
            'o' => Some((i, 1.0)),
            'g' => Some((i, 0.35)), // ghost note
            _ => None,
        })
        .collect()
}

/// Four on the floor.
pub const FOUR_FLOOR: &str = "o...o...o...o...";
/// Backbeat on 2 and 4.
pub const BACKBEAT: &str = "....o.......o...";
/// Off-beat open hats (house).
pub const OFFBEAT_8: &str = "..x...x...x...x.";

/// Maps (bar, step) to sample positions for a tempo, with swing and a
/// little human timing jitter.
#[derive(Debug, Clone)]
pub struct Clock {
    /// Beats per minute (quarter notes).
    pub bpm: f32,
    /// Steps per beat (4 = sixteenths, 3 = triplet grid).
    pub steps_per_beat: usize,
    /// 0.5 = straight; 0.66 = triplet swing (delays every odd step).
    pub swing: f32,
    /// Timing jitter, seconds (standard deviation-ish).
    pub jitter: f32,
    /// Steps per bar.
    pub steps_per_bar: usize,
}

impl Clock {
    /// A straight sixteenth-note clock in 4/4.
    pub fn new(bpm: f32) -> Self {
        Clock {
            bpm,
            steps_per_beat: 4,
            swing: 0.5,
            jitter: 0.0,
            steps_per_bar: 16,
        }
    }

    /// Seconds per beat.
    pub fn beat(&self) -> f32 {
        60.0 / self.bpm
    }

    /// Seconds per bar.
    pub fn bar(&self) -> f32 {
        self.beat() * (self.steps_per_bar / self.steps_per_beat) as f32
    }

    /// Samples per step (straight).
    pub fn step_samples(&self) -> usize {
        (self.beat() / self.steps_per_beat as f32 * SR) as usize
    }

    /// Sample position of `step` in `bar` (swing applies to pairs of steps).
    pub fn at(&self, bar: usize, step: usize, rng: &mut Rng) -> usize {
        let step_s = self.beat() / self.steps_per_beat as f32;
        let pair = step / 2;
        let mut t = bar as f64 * f64::from(self.bar()) + f64::from(2.0 * step_s) * pair as f64;
        if step % 2 == 1 {
            t += f64::from(2.0 * step_s * self.swing);
        }
        if self.jitter > 0.0 {
            t += f64::from(rng.noise() * self.jitter);
        }
        (t.max(0.0) * f64::from(SR)).round() as usize
    }

    /// Number of whole bars that fit in `seconds` (at least one).
    pub fn bars_in(&self, seconds: f32) -> usize {
        ((seconds / self.bar()).ceil() as usize).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_and_swing() {
        assert_eq!(steps(FOUR_FLOOR).len(), 4);
        assert_eq!(steps("x.g. o..."), vec![(0, 0.75), (2, 0.35), (4, 1.0)]);
        let mut rng = Rng::new(1);
        let c = Clock::new(120.0);
        assert_eq!(c.at(1, 0, &mut rng), 44100);
        assert_eq!(c.at(0, 4, &mut rng), 11025);
        let mut s = Clock::new(120.0);
        s.swing = 2.0 / 3.0;
        // Second eighth of a swung pair falls two thirds into the beat.
        s.steps_per_beat = 2;
        s.steps_per_bar = 8;
        assert_eq!(s.at(0, 1, &mut rng), 7350);
    }
}

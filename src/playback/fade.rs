//! Gain shapes that keep the signal continuous: a preview's own fade in and
//! out, and the short ramps the player uses to stop, skip or pause without a
//! click.

/// Raised-cosine gain for progress `x` in 0..=1 (0 → silent, 1 → full):
/// its slope is zero at both ends, so a fade joins the signal smoothly.
pub fn shape(x: f64) -> f32 {
    let x = x.clamp(0.0, 1.0);
    (0.5 - 0.5 * (std::f64::consts::PI * x).cos()) as f32
}

/// Fade the first `fade_in` samples up from silence and the last `fade_out`
/// down to silence (each clamped to half the clip).
pub fn apply_edges(samples: &mut [f32], fade_in: usize, fade_out: usize) {
    let n = samples.len();
    let fade_in = fade_in.min(n / 2);
    let fade_out = fade_out.min(n / 2);
    for (i, s) in samples.iter_mut().take(fade_in).enumerate() {
        *s *= shape(i as f64 / fade_in as f64);
    }
    for (i, s) in samples.iter_mut().rev().take(fade_out).enumerate() {
        *s *= shape(i as f64 / fade_out as f64);
    }
}

/// A gain that moves towards its target along [`shape`], one sample at a
/// time, taking `len` samples for a full 0 → 1 swing.
#[derive(Debug, Clone, PartialEq)]
pub struct Ramp {
    /// Progress along the shape, 0..=1.
    phase: f64,
    /// Where it is heading, 0..=1.
    target: f64,
    /// Phase change per sample.
    step: f64,
}

impl Ramp {
    /// A ramp resting at `phase` (0 or 1) whose full swing takes `len` samples.
    pub fn new(phase: f64, len: usize) -> Ramp {
        Ramp {
            phase,
            target: phase,
            step: 1.0 / len.max(1) as f64,
        }
    }

    /// Head for full gain.
    pub fn up(&mut self) {
        self.target = 1.0;
    }

    /// Head for silence.
    pub fn down(&mut self) {
        self.target = 0.0;
    }

    /// Jump to `phase` at once (only where the signal is silent anyway).
    pub fn set(&mut self, phase: f64) {
        self.phase = phase;
        self.target = phase;
    }

    /// The gain for the next sample, then advance.
    pub fn next_gain(&mut self) -> f32 {
        let g = shape(self.phase);
        if self.phase < self.target {
            self.phase = (self.phase + self.step).min(self.target);
        } else if self.phase > self.target {
            self.phase = (self.phase - self.step).max(self.target);
        }
        g
    }

    /// True when it has come to rest at silence.
    pub fn is_silent(&self) -> bool {
        self.phase <= 0.0 && self.target <= 0.0
    }

    /// True when moving towards silence.
    pub fn is_falling(&self) -> bool {
        self.target < self.phase
    }
}

/// A linear level (volume) that glides to its target over `len` samples,
/// so a volume change is a slope rather than a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Glide {
    value: f32,
    target: f32,
    step: f32,
}

impl Glide {
    /// A level resting at `value`, moving by at most 1/`len` per sample.
    pub fn new(value: f32, len: usize) -> Glide {
        Glide {
            value,
            target: value,
            step: 1.0 / len.max(1) as f32,
        }
    }

    /// Glide to `target`.
    pub fn set(&mut self, target: f32) {
        self.target = target;
    }

    /// Where it is heading.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// The level for the next sample, then advance.
    pub fn next_level(&mut self) -> f32 {
        let v = self.value;
        let d = self.target - self.value;
        self.value += d.clamp(-self.step, self.step);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_silent_then_full_and_monotonic() {
        assert_eq!(shape(0.0), 0.0);
        assert!((shape(1.0) - 1.0).abs() < 1e-7);
        assert!((shape(0.5) - 0.5).abs() < 1e-7);
        let mut last = -1.0;
        for i in 0..=100 {
            let g = shape(f64::from(i) / 100.0);
            assert!(g >= last);
            last = g;
        }
    }

    #[test]
    fn edges_fade_from_and_to_silence() {
        let mut v = vec![1.0f32; 1000];
        apply_edges(&mut v, 100, 200);
        assert_eq!(v[0], 0.0);
        assert_eq!(v[999], 0.0);
        assert!(v[50] > 0.4 && v[50] < 0.6, "{}", v[50]);
        assert_eq!(v[500], 1.0);
        assert!(v[899] < 1.0 && v[799] == 1.0);
        // Tiny clips: the fades shrink to half the clip each.
        let mut t = vec![1.0f32; 3];
        apply_edges(&mut t, 100, 100);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[2], 0.0);
        let mut e: Vec<f32> = Vec::new();
        apply_edges(&mut e, 10, 10);
    }

    #[test]
    fn ramp_falls_to_silence_in_len_samples_and_rises_back() {
        let mut r = Ramp::new(1.0, 10);
        r.down();
        assert!(r.is_falling());
        let gains: Vec<f32> = (0..11).map(|_| r.next_gain()).collect();
        assert!((gains[0] - 1.0).abs() < 1e-6);
        assert_eq!(gains[10], 0.0);
        assert!(r.is_silent());
        assert!(gains.windows(2).all(|w| w[1] <= w[0]));
        r.up();
        let up: Vec<f32> = (0..11).map(|_| r.next_gain()).collect();
        assert_eq!(up[0], 0.0);
        assert!((up[10] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn glide_moves_at_most_one_step_per_sample() {
        let mut g = Glide::new(1.0, 4);
        g.set(0.0);
        let v: Vec<f32> = (0..6).map(|_| g.next_level()).collect();
        assert_eq!(v, vec![1.0, 0.75, 0.5, 0.25, 0.0, 0.0]);
        assert_eq!(g.target(), 0.0);
    }
}

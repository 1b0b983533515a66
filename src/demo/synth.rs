//! Sound sources: deterministic math, oscillators, filters, envelopes,
//! drum voices and instrument voices. Every voice *adds* into a mix buffer
//! at a sample offset, so an arrangement is just a list of calls.
//!
//! Why our own `sin`/`exp`: the platform libm may round differently on
//! another OS or CPU, and the demo library must be byte-identical for the
//! same version everywhere. Only IEEE basic operations (`+ - * /`, `sqrt`,
//! `floor`, `round`) are used here, which are exactly specified.

use super::rng::Rng;

/// Sample rate of the demo library (musim's analysis rate: no resampling).
pub const SR: f32 = 22050.0;

/// `sin(2π·t)`: `t` in turns. Range-reduced Taylor series, error < 1e-7.
pub fn sin_turns(t: f32) -> f32 {
    let mut x = t - t.floor();
    if x >= 0.5 {
        x -= 1.0;
    }
    // sin(2π(½ − x)) = sin(2πx): fold into [−¼, ¼] where the series is tight.
    if x > 0.25 {
        x = 0.5 - x;
    } else if x < -0.25 {
        x = -0.5 - x;
    }
    let z = x * std::f32::consts::TAU;
    let z2 = z * z;
    z * (1.0
        - z2 / 6.0 * (1.0 - z2 / 20.0 * (1.0 - z2 / 42.0 * (1.0 - z2 / 72.0 * (1.0 - z2 / 110.0)))))
}

/// `cos(2π·t)`.
pub fn cos_turns(t: f32) -> f32 {
    sin_turns(t + 0.25)
}

/// `e^x`, accurate to f32 precision for |x| ≤ 80 (clamped beyond).
pub fn exp(x: f32) -> f32 {
    let x = f64::from(x).clamp(-80.0, 80.0);
    let k = (x * std::f64::consts::LOG2_E).round();
    let r = x - k * std::f64::consts::LN_2;
    let mut sum = 1.0f64;
    let mut term = 1.0f64;
    for i in 1..=12 {
        term *= r / f64::from(i);
        sum += term;
    }
    // 2^k built from its bits: exact, no powi.
    let scale = f64::from_bits(((k as i64 + 1023) as u64) << 52);
    (sum * scale) as f32
}

/// Frequency of a MIDI note number (A4 = 69 = 440 Hz).
pub fn midi_hz(note: f32) -> f32 {
    440.0 * exp((note - 69.0) * (std::f32::consts::LN_2 / 12.0))
}

/// Per-sample multiplier that decays by 60 dB in `t60` seconds.
pub fn decay_coef(t60: f32) -> f32 {
    exp(-6.907_755 / (t60.max(1e-4) * SR))
}

/// Smooth saturation (a rational tanh fit), |out| < 1.
pub fn soft_clip(x: f32) -> f32 {
    let x = x.clamp(-3.0, 3.0);
    x * (27.0 + x * x) / (27.0 + 9.0 * x * x)
}

/// `tan(π·x)` for the filter coefficient, x in (0, ½).
fn tan_pi(x: f32) -> f32 {
    let h = x.clamp(1e-5, 0.49) * 0.5;
    sin_turns(h) / cos_turns(h)
}

/// PolyBLEP correction for a discontinuity at phase 0 (band-limits saws and
/// pulses cheaply, so bright voices do not alias into mush at 22050 Hz).
fn blep(phase: f32, dt: f32) -> f32 {
    if phase < dt {
        let t = phase / dt;
        2.0 * t - t * t - 1.0
    } else if phase > 1.0 - dt {
        let t = (phase - 1.0) / dt;
        t * t + 2.0 * t + 1.0
    } else {
        0.0
    }
}

/// Oscillator waveforms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wave {
    /// Band-limited sawtooth (strings, leads, reese bass).
    Saw,
    /// Band-limited pulse with the given duty cycle.
    Pulse(f32),
    /// Triangle.
    Triangle,
    /// Pure sine.
    Sine,
    /// Naive pulse (chiptune: the aliasing is part of the sound).
    RawPulse(f32),
    /// 16-step quantised triangle, like the NES bass channel.
    StepTriangle,
}

fn osc(wave: Wave, phase: f32, dt: f32) -> f32 {
    match wave {
        Wave::Saw => 2.0 * phase - 1.0 - blep(phase, dt),
        Wave::Pulse(d) => {
            let mut p2 = phase + (1.0 - d);
            if p2 >= 1.0 {
                p2 -= 1.0;
            }
            let s1 = 2.0 * phase - 1.0 - blep(phase, dt);
            let s2 = 2.0 * p2 - 1.0 - blep(p2, dt);
            s1 - s2
        }
        Wave::Triangle => 1.0 - 4.0 * (phase - 0.5).abs(),
        Wave::Sine => sin_turns(phase),
        Wave::RawPulse(d) => {
            if phase < d {
                1.0
            } else {
                -1.0
            }
        }
        Wave::StepTriangle => ((1.0 - 4.0 * (phase - 0.5).abs()) * 7.5).round() / 7.5,
    }
}

/// Topology-preserving state-variable filter (stable under fast cutoff
/// modulation, unlike the Chamberlin form).
#[derive(Debug, Clone, Default)]
pub struct Svf {
    ic1: f32,
    ic2: f32,
    a1: f32,
    a2: f32,
    a3: f32,
    k: f32,
}

impl Svf {
    /// A filter at `cutoff` Hz with resonance `q` (0.5 … 10).
    pub fn new(cutoff: f32, q: f32) -> Self {
        let mut f = Svf::default();
        f.set(cutoff, q);
        f
    }

    /// Retune.
    pub fn set(&mut self, cutoff: f32, q: f32) {
        let g = tan_pi(cutoff / SR);
        self.k = 1.0 / q.max(0.3);
        self.a1 = 1.0 / (1.0 + g * (g + self.k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
    }

    /// One sample in; (low, band, high) out.
    pub fn tick(&mut self, x: f32) -> (f32, f32, f32) {
        let v3 = x - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        let high = x - self.k * v1 - v2;
        (v2, v1, high)
    }
}

/// One-pole low-pass (and, as `x − low`, high-pass).
#[derive(Debug, Clone)]
pub struct OnePole {
    a: f32,
    y: f32,
}

impl OnePole {
    /// A one-pole at `cutoff` Hz.
    pub fn new(cutoff: f32) -> Self {
        OnePole {
            a: 1.0 - exp(-std::f32::consts::TAU * cutoff / SR),
            y: 0.0,
        }
    }

    /// Low-passed sample.
    pub fn low(&mut self, x: f32) -> f32 {
        self.y += self.a * (x - self.y);
        self.y
    }

    /// High-passed sample.
    pub fn high(&mut self, x: f32) -> f32 {
        x - self.low(x)
    }
}

/// Attack / decay / sustain / release envelope, in seconds and 0–1 level.
#[derive(Debug, Clone, Copy)]
pub struct Adsr {
    /// Linear rise time.
    pub attack: f32,
    /// Time to fall 60 dB towards `sustain`.
    pub decay: f32,
    /// Level held while the note is on.
    pub sustain: f32,
    /// Time to fall 60 dB after the note ends.
    pub release: f32,
}

impl Adsr {
    /// Envelope samples for a note held `gate` samples (plus its release).
    pub fn render(&self, gate: usize) -> Vec<f32> {
        let att = ((self.attack * SR) as usize).max(16);
        let rel_len = ((self.release * SR * 0.6) as usize).max(64);
        let dc = decay_coef(self.decay);
        let rc = decay_coef(self.release);
        let mut out = Vec::with_capacity(gate + rel_len);
        let mut level = 0.0f32;
        let mut over = 1.0 - self.sustain; // the part above sustain still decaying
        for i in 0..gate {
            if i < att {
                level = (i as f32 + 1.0) / att as f32;
            } else {
                over *= dc;
                level = self.sustain + over;
            }
            out.push(level);
        }
        for j in 0..rel_len {
            level *= rc;
            // Force the tail to zero over its last 64 samples: no click.
            let tail = rel_len - j;
            out.push(if tail < 64 {
                level * tail as f32 / 64.0
            } else {
                level
            });
        }
        out
    }
}

/// A subtractive synth voice: unison oscillators → resonant low-pass
/// (with an envelope on the cutoff) → optional drive.
#[derive(Debug, Clone, Copy)]
pub struct Tone {
    /// Oscillator shape.
    pub wave: Wave,
    /// Number of detuned oscillators (1 = plain).
    pub unison: usize,
    /// Spread of the unison voices, in cents.
    pub detune: f32,
    /// Base low-pass cutoff, Hz.
    pub cutoff: f32,
    /// Extra cutoff at the envelope's peak, Hz.
    pub env_cutoff: f32,
    /// Filter resonance.
    pub q: f32,
    /// Amplitude envelope (also drives the cutoff).
    pub env: Adsr,
    /// Vibrato rate (Hz) and depth (semitones).
    pub vibrato: (f32, f32),
    /// Pre-gain into the soft clipper (0 = clean).
    pub drive: f32,
}

/// Render one subtractive note of `gate` samples at `freq` Hz.
pub fn tone(buf: &mut [f32], start: usize, gate: usize, freq: f32, amp: f32, t: &Tone) {
    let env = t.env.render(gate);
    let n = env.len().min(buf.len().saturating_sub(start));
    let voices = t.unison.max(1);
    let mut phases: Vec<f32> = (0..voices).map(|v| (v as f32 * 0.618_034) % 1.0).collect();
    let ratios: Vec<f32> = (0..voices)
        .map(|v| {
            let spread = if voices == 1 {
                0.0
            } else {
                (v as f32 / (voices - 1) as f32 - 0.5) * t.detune
            };
            exp(spread / 1200.0 * std::f32::consts::LN_2)
        })
        .collect();
    let mut filt = Svf::new(t.cutoff, t.q);
    let norm = 1.0 / (voices as f32).sqrt();
    let mut vib_phase = 0.0f32;
    let mut vib = 1.0f32;
    let drive_norm = if t.drive > 0.0 {
        1.0 / soft_clip(1.0 + t.drive)
    } else {
        1.0
    };
    for i in 0..n {
        let e = env[i];
        if i % 16 == 0 {
            // Coefficients every 16 samples: inaudible steps, 16× cheaper.
            filt.set((t.cutoff + t.env_cutoff * e).min(SR * 0.45), t.q);
            if t.vibrato.1 > 0.0 {
                let depth = t.vibrato.1 * (i as f32 / SR / 0.4).min(1.0);
                vib = exp(depth * sin_turns(vib_phase) / 12.0 * std::f32::consts::LN_2);
                vib_phase += t.vibrato.0 * 16.0 / SR;
            }
        }
        let mut s = 0.0;
        for (p, r) in phases.iter_mut().zip(&ratios) {
            let dt = (freq * r * vib / SR).min(0.45);
            s += osc(t.wave, *p, dt);
            *p += dt;
            if *p >= 1.0 {
                *p -= 1.0;
            }
        }
        let (low, _, _) = filt.tick(s * norm);
        let v = if t.drive > 0.0 {
            soft_clip(low * (1.0 + t.drive)) * drive_norm
        } else {
            low
        };
        buf[start + i] += v * e * amp;
    }
}

/// A partial of an additive voice: frequency ratio, amplitude, 60 dB decay time.
pub type Partial = (f32, f32, f32);

/// Additive voice: sinusoidal partials (piano strings, organ drawbars,
/// bells, drones) by complex-phasor rotation, which is exact and cheap.
// Voice calls read like a score line (where, how long, pitch, loudness,
// timbre); a parameter struct per note would hide that.
#[allow(clippy::too_many_arguments)]
pub fn partials(
    buf: &mut [f32],
    start: usize,
    gate: usize,
    freq: f32,
    amp: f32,
    parts: &[Partial],
    attack: f32,
    release: f32,
) {
    let env = Adsr {
        attack,
        decay: 1.0,
        sustain: 1.0,
        release,
    }
    .render(gate);
    let n = env.len().min(buf.len().saturating_sub(start));
    for &(ratio, pamp, t60) in parts {
        let f = freq * ratio;
        if f >= SR * 0.45 {
            continue;
        }
        let (ws, wc) = (sin_turns(f / SR), cos_turns(f / SR));
        let (mut c, mut s) = (1.0f32, 0.0f32);
        let dc = decay_coef(t60);
        let mut d = pamp * amp;
        for i in 0..n {
            buf[start + i] += s * d * env[i];
            let c2 = c * wc - s * ws;
            s = s * wc + c * ws;
            c = c2;
            d *= dc;
            if i % 1024 == 1023 {
                // Renormalise: f32 rounding would slowly change the radius.
                let r = 1.0 / (c * c + s * s).sqrt();
                c *= r;
                s *= r;
                if d < 1e-5 {
                    break;
                }
            }
        }
    }
}

/// Two-operator FM voice (electric piano, bells, chiptune-free "struck" tones).
// Voice calls read like a score line (where, how long, pitch, loudness,
// timbre); a parameter struct per note would hide that.
#[allow(clippy::too_many_arguments)]
pub fn fm(
    buf: &mut [f32],
    start: usize,
    gate: usize,
    freq: f32,
    amp: f32,
    ratio: f32,
    index: f32,
    index_decay: f32,
    env: &Adsr,
) {
    let env = env.render(gate);
    let n = env.len().min(buf.len().saturating_sub(start));
    let (mut pc, mut pm) = (0.0f32, 0.0f32);
    let ic = decay_coef(index_decay);
    let mut idx = index;
    for i in 0..n {
        let m = sin_turns(pm) * idx;
        buf[start + i] += sin_turns(pc + m / std::f32::consts::TAU) * env[i] * amp;
        pc = (pc + freq / SR).fract();
        pm = (pm + freq * ratio / SR).fract();
        idx *= ic;
    }
}

/// Karplus–Strong plucked string with an all-pass for exact tuning.
/// `t60`: ring time; `bright` 0 (dull) … 1 (bright); `gate`: samples
/// until the string is damped (palm mute, walking bass).
// Voice calls read like a score line (where, how long, pitch, loudness,
// timbre); a parameter struct per note would hide that.
#[allow(clippy::too_many_arguments)]
pub fn pluck(
    buf: &mut [f32],
    start: usize,
    gate: usize,
    freq: f32,
    amp: f32,
    t60: f32,
    bright: f32,
    rng: &mut Rng,
) {
    let period = SR / freq.clamp(30.0, 3000.0);
    let damp = 0.5 - 0.4 * bright.clamp(0.0, 1.0); // loop filter delay (samples)
    let total = period - damp;
    let l = (total - 0.1).floor().max(2.0);
    let frac = total - l;
    let ap = (1.0 - frac) / (1.0 + frac);
    let l = l as usize;
    let g = exp(-6.907_755 / (freq * t60.max(0.05)));
    // Excitation: a period of noise, low-passed for duller strings.
    let mut lp = OnePole::new(1500.0 + 6000.0 * bright);
    let mut line: Vec<f32> = (0..l).map(|_| lp.low(rng.noise())).collect();
    let mean = line.iter().sum::<f32>() / l as f32;
    line.iter_mut().for_each(|v| *v -= mean);
    let len = (gate + (0.03 * SR) as usize).min((t60 * SR) as usize + 1);
    let n = len.min(buf.len().saturating_sub(start));
    let (mut prev, mut ap_x, mut ap_y) = (0.0f32, 0.0f32, 0.0f32);
    let mute_len = (0.03 * SR) as usize;
    let mut idx = 0;
    for i in 0..n {
        let cur = line[idx];
        let filt = g * ((1.0 - damp) * cur + damp * prev);
        prev = cur;
        let y = ap * filt + ap_x - ap * ap_y;
        ap_x = filt;
        ap_y = y;
        line[idx] = y;
        idx += 1;
        if idx == l {
            idx = 0;
        }
        let mut v = cur;
        v *= ramp(i, 24);
        if i >= gate {
            let left = n.saturating_sub(i) as f32 / mute_len as f32;
            v *= left.min(1.0);
        }
        buf[start + i] += v * amp;
    }
}

/// Kick drum: a sine falling from `hi` to `lo` Hz, optionally driven.
pub fn kick(buf: &mut [f32], start: usize, amp: f32, lo: f32, hi: f32, decay: f32, drive: f32) {
    let n = ((decay * SR) as usize).min(buf.len().saturating_sub(start));
    let pc = decay_coef(0.06);
    let ac = decay_coef(decay);
    let (mut phase, mut pe, mut ae) = (0.0f32, 1.0f32, 1.0f32);
    let norm = if drive > 0.0 {
        1.0 / soft_clip(1.0 + drive)
    } else {
        1.0
    };
    for i in 0..n {
        let f = lo + (hi - lo) * pe;
        let mut v = sin_turns(phase) * ae;
        if drive > 0.0 {
            v = soft_clip(v * (1.0 + drive)) * norm;
        }
        v *= ramp(i, 16);
        // Let the last 5 ms fall to zero so a cut tail cannot click.
        v *= ramp(n - i, 110);
        buf[start + i] += v * amp;
        phase = (phase + f / SR).fract();
        pe *= pc;
        ae *= ac;
    }
}

/// Linear ramp over the first `len` samples (`pos / len`), then 1: the
/// few-sample fades every voice uses so its start and cut-off cannot click.
fn ramp(pos: usize, len: usize) -> f32 {
    if pos < len {
        pos as f32 / len as f32
    } else {
        1.0
    }
}

/// Snare: a short tone body plus high-passed noise.
pub fn snare(
    buf: &mut [f32],
    start: usize,
    amp: f32,
    body_hz: f32,
    decay: f32,
    bright: f32,
    rng: &mut Rng,
) {
    let n = ((decay * SR) as usize).min(buf.len().saturating_sub(start));
    let bc = decay_coef(decay * 0.35);
    let nc = decay_coef(decay);
    let mut hp = Svf::new(600.0 + 3000.0 * bright, 0.7);
    let (mut phase, mut be, mut ne) = (0.0f32, 1.0f32, 1.0f32);
    for i in 0..n {
        let (_, band, high) = hp.tick(rng.noise());
        let noise = high * 0.7 + band * 0.3;
        let mut v = sin_turns(phase) * be * 0.6 + noise * ne;
        v *= ramp(i, 8);
        v *= ramp(n - i, 110);
        buf[start + i] += v * amp;
        phase = (phase + body_hz / SR).fract();
        be *= bc;
        ne *= nc;
    }
}

/// Hi-hat / shaker / brush: band-limited noise with a fast decay.
pub fn hat(buf: &mut [f32], start: usize, amp: f32, decay: f32, cutoff: f32, rng: &mut Rng) {
    let n = ((decay * SR) as usize).min(buf.len().saturating_sub(start));
    let ec = decay_coef(decay);
    let mut hp = Svf::new(cutoff, 0.8);
    let mut e = 1.0f32;
    for i in 0..n {
        let (_, _, high) = hp.tick(rng.noise());
        let tail = ramp(n - i, 64);
        buf[start + i] += high * e * amp * tail;
        e *= ec;
    }
}

/// Clap: band-passed noise in three quick bursts and a tail.
pub fn clap(buf: &mut [f32], start: usize, amp: f32, decay: f32, rng: &mut Rng) {
    let n = ((decay * SR) as usize).min(buf.len().saturating_sub(start));
    let mut bp = Svf::new(1300.0, 1.5);
    let ec = decay_coef(decay);
    let burst = (0.011 * SR) as usize;
    let mut tail = 1.0f32;
    for i in 0..n {
        let (_, band, _) = bp.tick(rng.noise());
        let e = if i < 3 * burst {
            1.0 - (i % burst) as f32 / burst as f32
        } else {
            tail *= ec;
            tail
        };
        let fade = ramp(n - i, 64);
        buf[start + i] += band * e * amp * 2.0 * fade;
    }
}

/// Metallic voice (ride, cymbal, cowbell): inharmonic square waves, high-passed.
pub fn metal(buf: &mut [f32], start: usize, amp: f32, base: f32, decay: f32, cutoff: f32) {
    const RATIOS: [f32; 6] = [1.0, 1.4471, 1.617, 1.9265, 2.5028, 2.6637];
    let n = ((decay * SR) as usize).min(buf.len().saturating_sub(start));
    let ec = decay_coef(decay);
    let mut hp = Svf::new(cutoff, 0.7);
    let mut phases = [0.0f32; 6];
    let mut e = 1.0f32;
    for i in 0..n {
        let mut s = 0.0;
        for (p, r) in phases.iter_mut().zip(RATIOS) {
            s += if *p < 0.5 { 1.0 } else { -1.0 };
            *p = (*p + base * r / SR).fract();
        }
        let (_, _, high) = hp.tick(s / 6.0);
        let tail = ramp(n - i, 64);
        let att = ramp(i, 8);
        buf[start + i] += high * e * amp * tail * att;
        e *= ec;
    }
}

/// Chiptune noise channel: a 15-bit LFSR clocked at `clock` Hz, stepped envelope.
pub fn lfsr_noise(buf: &mut [f32], start: usize, amp: f32, clock: f32, decay: f32, short: bool) {
    let n = ((decay * SR) as usize).min(buf.len().saturating_sub(start));
    let mut reg: u16 = 1;
    let mut acc = 0.0f32;
    let step = clock / SR;
    for i in 0..n {
        acc += step;
        while acc >= 1.0 {
            acc -= 1.0;
            let tap = if short { 6 } else { 1 };
            let bit = (reg ^ (reg >> tap)) & 1;
            reg = (reg >> 1) | (bit << 14);
        }
        // 16 volume steps, like the hardware's envelope.
        let e = ((1.0 - i as f32 / n as f32) * 15.0).floor() / 15.0;
        let v = if reg & 1 == 1 { 1.0 } else { -1.0 };
        buf[start + i] += v * e * amp;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_matches_std_closely() {
        for i in -2000..2000 {
            let t = i as f32 * 0.00731;
            let want = (f64::from(t) * std::f64::consts::TAU).sin() as f32;
            assert!((sin_turns(t) - want).abs() < 2e-6, "{t}");
            let x = i as f32 * 0.01;
            let e = x.exp();
            assert!(((exp(x) - e) / e).abs() < 1e-6, "{x}");
        }
        assert!((midi_hz(69.0) - 440.0).abs() < 1e-3);
        assert!((midi_hz(81.0) - 880.0).abs() < 1e-3);
    }

    #[test]
    fn pluck_is_in_tune() {
        // The autocorrelation peak of a 220 Hz pluck sits at its period.
        let mut buf = vec![0.0; 22050];
        let mut rng = Rng::new(7);
        pluck(&mut buf, 0, 22050, 220.0, 0.5, 3.0, 0.2, &mut rng);
        let seg = &buf[2205..8820];
        let ac = |lag: usize| -> f32 {
            seg[..seg.len() - lag]
                .iter()
                .zip(&seg[lag..])
                .map(|(a, b)| a * b)
                .sum()
        };
        let best = (60..160).max_by(|&a, &b| ac(a).total_cmp(&ac(b))).unwrap();
        let hz = SR / best as f32;
        assert!((hz - 220.0).abs() < 3.0, "{hz}");
    }
}

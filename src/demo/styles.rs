//! The styles: each is an arranger that turns a seeded RNG into drum hits,
//! bass lines, chords and melodies with its own tempo range, rhythm
//! pattern, instruments, harmony and dynamics. Parameters vary per track
//! (key, tempo, pattern, timbre), so styles overlap a little.

use super::harmony::{self, progressions as prog, Scale};
use super::patterns::{steps, Clock, BACKBEAT, FOUR_FLOOR, OFFBEAT_8};
use super::render::{add, echo, reverb};
use super::rng::Rng;
use super::synth::{
    clap, fm, hat, kick, lfsr_noise, metal, midi_hz, partials, pluck, snare, tone, Adsr, Partial,
    Svf, Tone, Wave, SR,
};

/// A demo style (the label of its folder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    /// Driven four-on-the-floor kick, rolling or acid bass, 124–136 BPM.
    Techno,
    /// Clean four-on-the-floor, off-beat hats, organ/e-piano 7th chords, 118–126 BPM.
    House,
    /// Breakbeat at 164–176 BPM, reese bass, pads.
    DrumAndBass,
    /// Backbeat, distorted power chords, plucked bass, 100–145 BPM.
    Rock,
    /// Swung ride, walking bass, 7th-chord piano comping, 120–180 BPM.
    Jazz,
    /// One-drop drums, off-beat skank, deep bass, dub echo, 68–84 BPM.
    Reggae,
    /// No beat: drones, slow pads, wind, sparse bells.
    Ambient,
    /// Pulse-wave leads and arpeggios, stepped-triangle bass, noise drums.
    Chiptune,
    /// Bowed string ensemble, classical progressions, no drums.
    Strings,
    /// Solo piano: broken-chord left hand, melodic right hand.
    Piano,
}

impl Style {
    /// Every style, in folder order.
    pub const ALL: [Style; 10] = [
        Style::Techno,
        Style::House,
        Style::DrumAndBass,
        Style::Rock,
        Style::Jazz,
        Style::Reggae,
        Style::Ambient,
        Style::Chiptune,
        Style::Strings,
        Style::Piano,
    ];

    /// Folder and file name stem.
    pub fn name(self) -> &'static str {
        match self {
            Style::Techno => "techno",
            Style::House => "house",
            Style::DrumAndBass => "drumandbass",
            Style::Rock => "rock",
            Style::Jazz => "jazz",
            Style::Reggae => "reggae",
            Style::Ambient => "ambient",
            Style::Chiptune => "chiptune",
            Style::Strings => "strings",
            Style::Piano => "piano",
        }
    }

    /// Whether the style has a steady pulse a tempo estimator should find.
    pub fn has_beat(self) -> bool {
        !matches!(self, Style::Ambient | Style::Strings)
    }
}

/// A rendered (unmastered) track and what the generator chose.
#[derive(Debug, Clone)]
pub struct Arrangement {
    /// Mono samples at [`SR`], before mastering.
    pub mix: Vec<f32>,
    /// The tempo the arrangement was written at (quarter notes per minute).
    pub bpm: f32,
    /// Root of the key (MIDI note).
    pub key: i32,
    /// Relative loudness, 0–1: quiet styles stay quieter after mastering.
    pub level: f32,
}

/// Arrange track `number` of `style`, `seconds` long, from the seeded `rng`.
pub fn arrange(style: Style, seconds: f32, rng: &mut Rng) -> Arrangement {
    let n = (seconds * SR) as usize;
    let mut a = match style {
        Style::Techno => techno(n, rng),
        Style::House => house(n, rng),
        Style::DrumAndBass => dnb(n, rng),
        Style::Rock => rock(n, rng),
        Style::Jazz => jazz(n, rng),
        Style::Reggae => reggae(n, rng),
        Style::Ambient => ambient(n, rng),
        Style::Chiptune => chiptune(n, rng),
        Style::Strings => strings(n, rng),
        Style::Piano => piano(n, rng),
    };
    a.mix.truncate(n);
    a.mix.resize(n, 0.0);
    a
}

/// Call `f(position, velocity, rng)` for every hit of `pattern` in `bars`.
fn hits(
    clock: &Clock,
    bars: std::ops::Range<usize>,
    pattern: &str,
    n: usize,
    rng: &mut Rng,
    mut f: impl FnMut(usize, f32, &mut Rng),
) {
    let grid = steps(pattern);
    for bar in bars {
        for &(s, v) in &grid {
            let pos = clock.at(bar, s, rng);
            if pos < n {
                f(pos, v, rng);
            }
        }
    }
}

/// Samples in `steps` steps of the clock.
fn dur(clock: &Clock, steps: f32) -> usize {
    (clock.step_samples() as f32 * steps) as usize
}

fn minor_scale(rng: &mut Rng) -> Scale {
    rng.pick(&[
        harmony::MINOR,
        harmony::DORIAN,
        harmony::PHRYGIAN,
        harmony::MINOR,
    ])
}

fn techno(n: usize, rng: &mut Rng) -> Arrangement {
    let bpm = rng.range(124.0, 136.0);
    let clock = Clock::new(bpm);
    let bars = clock.bars_in(n as f32 / SR);
    let key = rng.int(33, 40);
    let scale = minor_scale(rng);
    let mut mix = vec![0.0f32; n];
    let (lo, hi, drive) = (
        rng.range(44.0, 56.0),
        rng.range(140.0, 230.0),
        rng.range(0.6, 2.5),
    );
    let kdecay = rng.range(0.28, 0.5);
    hits(&clock, 0..bars, FOUR_FLOOR, n, rng, |p, v, _| {
        kick(&mut mix, p, v, lo, hi, kdecay, drive);
    });
    let hat_pat = rng.pick(&[
        "x.x.x.x.x.x.x.x.",
        "gxog gxog gxog gxog",
        "..o...o...o...o.",
        "xxoxxxoxxxoxxxox",
    ]);
    let hat_cut = rng.range(6000.0, 9000.0);
    let hat_dec = rng.range(0.03, 0.09);
    hits(&clock, 1..bars, hat_pat, n, rng, |p, v, r| {
        hat(&mut mix, p, v * 0.25, hat_dec, hat_cut, r);
    });
    if rng.chance(0.6) {
        hits(&clock, 2..bars, BACKBEAT, n, rng, |p, v, r| {
            clap(&mut mix, p, v * 0.3, 0.15, r)
        });
    }
    if rng.chance(0.5) {
        let base = rng.range(540.0, 820.0);
        hits(&clock, 4..bars, "..x...x...x...x.", n, rng, |p, v, _| {
            metal(&mut mix, p, v * 0.12, base, 0.25, 3000.0);
        });
    }
    // Bass: rolling off-beat sixteenths or a resonant acid line.
    let acid = rng.chance(0.45);
    let bass = Tone {
        wave: if acid {
            Wave::Saw
        } else {
            rng.pick(&[Wave::Saw, Wave::Pulse(0.5)])
        },
        unison: 1,
        detune: 0.0,
        cutoff: rng.range(150.0, 400.0),
        env_cutoff: if acid {
            rng.range(1200.0, 2500.0)
        } else {
            rng.range(300.0, 900.0)
        },
        q: if acid { rng.range(3.0, 7.0) } else { 0.9 },
        env: Adsr {
            attack: 0.003,
            decay: 0.18,
            sustain: 0.2,
            release: 0.05,
        },
        vibrato: (0.0, 0.0),
        drive: if acid { 1.5 } else { 0.3 },
    };
    let bass_pat = if acid {
        "xxgx xgxx gxxg xxgx"
    } else {
        rng.pick(&["..xx..xx..xx..xx", ".xxx.xxx.xxx.xxx", "..x...x...x...x."])
    };
    let riff: Vec<i32> = (0..16)
        .map(|_| rng.pick(&[0, 0, 0, 2, 4, 7, -1, 3]))
        .collect();
    hits(&clock, 2..bars, bass_pat, n, rng, |p, v, r| {
        let step = r.int(0, 15) as usize;
        let note = harmony::degree(key, scale, if acid { riff[step] } else { 0 });
        let octave = if acid && r.chance(0.25) { 12 } else { 0 };
        tone(
            &mut mix,
            p,
            dur(&clock, 0.8),
            midi_hz((note + octave) as f32),
            v * 0.35,
            &bass,
        );
    });
    // Sparse minor stabs with echo in some tracks.
    if rng.chance(0.5) {
        let mut stabs = vec![0.0f32; n];
        let chord = harmony::voice(&harmony::chord(key + 24, scale, 0, 3), key + 36);
        let stab = Tone {
            wave: Wave::Saw,
            unison: 2,
            detune: 14.0,
            cutoff: rng.range(600.0, 1500.0),
            env_cutoff: 1500.0,
            q: 1.2,
            env: Adsr {
                attack: 0.004,
                decay: 0.2,
                sustain: 0.0,
                release: 0.1,
            },
            vibrato: (0.0, 0.0),
            drive: 0.0,
        };
        let pat = rng.pick(&["...x......x.....", "..x.....x.......", "......x.......x."]);
        hits(&clock, 4..bars, pat, n, rng, |p, v, _| {
            for &c in &chord {
                tone(
                    &mut stabs,
                    p,
                    dur(&clock, 1.0),
                    midi_hz(c as f32),
                    v * 0.12,
                    &stab,
                );
            }
        });
        let wet = echo(&stabs, clock.beat() * 0.75, 0.45, 2500.0);
        add(&mut mix, &stabs, 1.0);
        add(&mut mix, &wet, 0.5);
    }
    Arrangement {
        mix,
        bpm,
        key,
        level: 1.0,
    }
}

fn organ_parts(bright: f32) -> Vec<Partial> {
    vec![
        (1.0, 1.0, 60.0),
        (2.0, 0.6 * bright, 60.0),
        (3.0, 0.35 * bright, 60.0),
        (4.0, 0.2 * bright, 60.0),
        (0.5, 0.5, 60.0),
    ]
}

fn house(n: usize, rng: &mut Rng) -> Arrangement {
    let bpm = rng.range(118.0, 127.0);
    let clock = Clock::new(bpm);
    let bars = clock.bars_in(n as f32 / SR);
    let key = rng.int(36, 43);
    let scale = rng.pick(&[harmony::DORIAN, harmony::MINOR, harmony::MAJOR]);
    let progression = rng.pick(prog::MINOR);
    let mut mix = vec![0.0f32; n];
    let (lo, hi) = (rng.range(48.0, 60.0), rng.range(110.0, 160.0));
    hits(&clock, 0..bars, FOUR_FLOOR, n, rng, |p, v, _| {
        kick(&mut mix, p, v, lo, hi, 0.3, 0.0)
    });
    let open = rng.range(0.1, 0.22);
    hits(&clock, 0..bars, OFFBEAT_8, n, rng, |p, v, r| {
        hat(&mut mix, p, v * 0.3, open, 7000.0, r)
    });
    hits(&clock, 1..bars, BACKBEAT, n, rng, |p, v, r| {
        clap(&mut mix, p, v * 0.35, 0.2, r)
    });
    if rng.chance(0.6) {
        hits(&clock, 2..bars, "gxgx gxgx gxgx gxgx", n, rng, |p, v, r| {
            hat(&mut mix, p, v * 0.1, 0.03, 5000.0, r);
        });
    }
    // Chords: organ or e-piano sevenths in a syncopated rhythm.
    let epiano = rng.chance(0.5);
    let bright = rng.range(0.4, 1.0);
    let chord_pat = rng.pick(&[
        "..x..x....x..x..",
        "x..x..x...x..x..",
        "...x..x....x..x.",
        "..x...x...x...x.",
    ]);
    let mut keys = vec![0.0f32; n];
    for bar in 0..bars {
        let deg = progression[bar % progression.len()];
        let chord = harmony::voice(&harmony::chord(key + 12, scale, deg, 4), key + 24);
        hits(&clock, bar..bar + 1, chord_pat, n, rng, |p, v, _| {
            for &c in &chord {
                let f = midi_hz(c as f32);
                if epiano {
                    let env = Adsr {
                        attack: 0.002,
                        decay: 1.2,
                        sustain: 0.0,
                        release: 0.2,
                    };
                    fm(
                        &mut keys,
                        p,
                        dur(&clock, 2.0),
                        f,
                        v * 0.1,
                        1.0,
                        1.2 * bright,
                        0.5,
                        &env,
                    );
                } else {
                    partials(
                        &mut keys,
                        p,
                        dur(&clock, 1.5),
                        f,
                        v * 0.07,
                        &organ_parts(bright),
                        0.005,
                        0.05,
                    );
                }
            }
        });
    }
    let wet = reverb(&keys, 0.8, 0.4);
    add(&mut mix, &keys, 1.0);
    add(&mut mix, &wet, 0.25);
    // Bass: off-beat octave jumps on the chord root.
    let bass = Tone {
        wave: rng.pick(&[Wave::Sine, Wave::Pulse(0.5), Wave::Triangle]),
        unison: 1,
        detune: 0.0,
        cutoff: rng.range(250.0, 500.0),
        env_cutoff: 300.0,
        q: 0.8,
        env: Adsr {
            attack: 0.004,
            decay: 0.25,
            sustain: 0.5,
            release: 0.05,
        },
        vibrato: (0.0, 0.0),
        drive: 0.0,
    };
    let bass_pat = rng.pick(&["..x...x...x...x.", "..x..xx...x..xx.", "x.x...x.x.x...x."]);
    for bar in 1..bars {
        let root = harmony::degree(key, scale, progression[bar % progression.len()]);
        hits(&clock, bar..bar + 1, bass_pat, n, rng, |p, v, r| {
            let note = root + if r.chance(0.3) { 12 } else { 0 };
            tone(
                &mut mix,
                p,
                dur(&clock, 1.5),
                midi_hz(note as f32),
                v * 0.35,
                &bass,
            );
        });
    }
    Arrangement {
        mix,
        bpm,
        key,
        level: 0.95,
    }
}

fn dnb(n: usize, rng: &mut Rng) -> Arrangement {
    let bpm = rng.range(164.0, 176.0);
    let clock = Clock::new(bpm);
    let bars = clock.bars_in(n as f32 / SR);
    let key = rng.int(29, 36);
    let scale = minor_scale(rng);
    let progression = rng.pick(prog::MINOR);
    let mut mix = vec![0.0f32; n];
    let kicks = rng.pick(&["o.........x.....", "o.........x..x..", "o.x.......x....."]);
    let snares = rng.pick(&["....o.......o...", "....o..g.g..o...", "....o.......o..g"]);
    let body = rng.range(170.0, 230.0);
    let (lo, hi) = (rng.range(48.0, 58.0), rng.range(150.0, 200.0));
    hits(&clock, 0..bars, kicks, n, rng, |p, v, _| {
        kick(&mut mix, p, v, lo, hi, 0.25, 0.4)
    });
    hits(&clock, 0..bars, snares, n, rng, |p, v, r| {
        snare(&mut mix, p, v * 0.6, body, 0.18, 0.8, r)
    });
    let hats_pat = rng.pick(&["x.x.x.x.x.x.x.x.", "xxxxxxxxxxxxxxxx", "x.xxx.xxx.xxx.xx"]);
    hits(&clock, 0..bars, hats_pat, n, rng, |p, v, r| {
        hat(&mut mix, p, v * 0.18, 0.035, 8000.0, r)
    });
    // Reese bass: detuned saws, one note per half bar.
    let reese = Tone {
        wave: Wave::Saw,
        unison: 3,
        detune: rng.range(15.0, 35.0),
        cutoff: rng.range(250.0, 600.0),
        env_cutoff: 200.0,
        q: 1.0,
        env: Adsr {
            attack: 0.01,
            decay: 0.5,
            sustain: 0.8,
            release: 0.1,
        },
        vibrato: (0.0, 0.0),
        drive: rng.range(0.0, 1.5),
    };
    for bar in 1..bars {
        let root = harmony::degree(key, scale, progression[(bar / 2) % progression.len()]);
        for half in 0..2 {
            let p = clock.at(bar, half * 8, rng);
            if p < n {
                tone(
                    &mut mix,
                    p,
                    dur(&clock, 7.5),
                    midi_hz(root as f32),
                    0.3,
                    &reese,
                );
            }
        }
    }
    // Pad.
    let mut pad = vec![0.0f32; n];
    let pad_tone = Tone {
        wave: Wave::Saw,
        unison: 3,
        detune: 20.0,
        cutoff: rng.range(700.0, 1600.0),
        env_cutoff: 0.0,
        q: 0.7,
        env: Adsr {
            attack: 0.6,
            decay: 1.0,
            sustain: 1.0,
            release: 0.8,
        },
        vibrato: (0.0, 0.0),
        drive: 0.0,
    };
    for bar in (0..bars).step_by(2) {
        let deg = progression[(bar / 2) % progression.len()];
        let chord = harmony::voice(&harmony::chord(key + 24, scale, deg, 3), key + 36);
        let p = clock.at(bar, 0, rng);
        for &c in &chord {
            if p < n {
                tone(
                    &mut pad,
                    p,
                    dur(&clock, 30.0),
                    midi_hz(c as f32),
                    0.05,
                    &pad_tone,
                );
            }
        }
    }
    let wet = reverb(&pad, 1.2, 0.5);
    add(&mut mix, &pad, 1.0);
    add(&mut mix, &wet, 0.4);
    Arrangement {
        mix,
        bpm,
        key,
        level: 1.0,
    }
}

fn rock(n: usize, rng: &mut Rng) -> Arrangement {
    let bpm = rng.range(100.0, 145.0);
    let clock = Clock::new(bpm);
    let bars = clock.bars_in(n as f32 / SR);
    let key = rng.int(28, 35); // E1…B1: guitar-friendly roots
    let scale = rng.pick(&[harmony::MAJOR, harmony::MIXOLYDIAN, harmony::MINOR]);
    let progression = rng.pick(prog::ROCK);
    let mut mix = vec![0.0f32; n];
    let kicks = rng.pick(&[
        "o.......o.......",
        "o.......o.x.....",
        "o......xo.......",
        "o.x.....o.x.....",
    ]);
    let body = rng.range(180.0, 220.0);
    hits(&clock, 0..bars, kicks, n, rng, |p, v, _| {
        kick(&mut mix, p, v * 0.9, 55.0, 120.0, 0.3, 0.0)
    });
    hits(&clock, 0..bars, BACKBEAT, n, rng, |p, v, r| {
        snare(&mut mix, p, v * 0.7, body, 0.22, 0.5, r)
    });
    let ride = rng.chance(0.4);
    hits(&clock, 0..bars, "x.x.x.x.x.x.x.x.", n, rng, |p, v, r| {
        if ride {
            metal(&mut mix, p, v * 0.1, 480.0, 0.5, 4000.0);
        } else {
            hat(&mut mix, p, v * 0.2, 0.05, 6500.0, r);
        }
    });
    hits(&clock, 0..bars, "o...............", n, rng, |p, _, r| {
        if r.chance(0.3) {
            hat(&mut mix, p, 0.25, 1.2, 4000.0, r); // crash
        }
    });
    // Distorted power chords in eighths; palm-muted or ringing.
    let guitar = Tone {
        wave: Wave::Saw,
        unison: 2,
        detune: 8.0,
        cutoff: rng.range(1800.0, 3200.0),
        env_cutoff: 500.0,
        q: 0.9,
        env: Adsr {
            attack: 0.004,
            decay: 0.4,
            sustain: 0.7,
            release: 0.05,
        },
        vibrato: (0.0, 0.0),
        drive: rng.range(3.0, 8.0),
    };
    let muted = rng.chance(0.5);
    let gtr_pat = rng.pick(&["x.x.x.x.x.x.x.x.", "x..x..x.x..x..x.", "o...x.x.o...x.x."]);
    let mut gtr = vec![0.0f32; n];
    for bar in 1..bars {
        let root = harmony::degree(key + 12, scale, progression[bar % progression.len()]);
        hits(&clock, bar..bar + 1, gtr_pat, n, rng, |p, v, _| {
            let gate = if muted {
                dur(&clock, 1.2)
            } else {
                dur(&clock, 2.0)
            };
            for iv in [0, 7, 12] {
                tone(
                    &mut gtr,
                    p,
                    gate,
                    midi_hz((root + iv) as f32),
                    v * 0.1,
                    &guitar,
                );
            }
        });
    }
    let wet = reverb(&gtr, 0.6, 0.6);
    add(&mut mix, &gtr, 1.0);
    add(&mut mix, &wet, 0.15);
    // Plucked bass doubling the roots.
    for bar in 1..bars {
        let root = harmony::degree(key, scale, progression[bar % progression.len()]);
        hits(
            &clock,
            bar..bar + 1,
            "x.x.x.x.x.x.x.x.",
            n,
            rng,
            |p, v, r| {
                pluck(
                    &mut mix,
                    p,
                    dur(&clock, 1.8),
                    midi_hz(root as f32),
                    v * 0.6,
                    1.5,
                    0.3,
                    r,
                );
            },
        );
    }
    Arrangement {
        mix,
        bpm,
        key,
        level: 1.0,
    }
}

fn piano_note(
    buf: &mut [f32],
    pos: usize,
    gate: usize,
    midi: i32,
    amp: f32,
    bright: f32,
    rng: &mut Rng,
) {
    let m = midi as f32;
    let inharm = 0.0003 + 0.0001 * bright;
    let base_t60 = (9.0 - (m - 21.0) / 88.0 * 7.5).max(1.2);
    let r = 0.5 + 0.3 * bright;
    let mut parts: Vec<Partial> = Vec::with_capacity(10);
    let mut a = 1.0f32;
    for k in 1..=9 {
        let kf = k as f32;
        parts.push((
            kf * (1.0 + inharm * kf * kf).sqrt(),
            a / kf,
            base_t60 / (1.0 + 0.6 * (kf - 1.0)),
        ));
        a *= r;
    }
    // A slightly detuned second string beats against the first.
    parts.push((1.0008, 0.5, base_t60 * 1.3));
    partials(buf, pos, gate, midi_hz(m), amp, &parts, 0.002, 0.3);
    hat(buf, pos, amp * 0.08, 0.015, 1500.0, rng);
}

fn jazz(n: usize, rng: &mut Rng) -> Arrangement {
    let bpm = rng.range(120.0, 180.0);
    let mut clock = Clock::new(bpm);
    clock.steps_per_beat = 2;
    clock.steps_per_bar = 8;
    clock.swing = rng.range(0.6, 0.68);
    clock.jitter = 0.006;
    let bars = clock.bars_in(n as f32 / SR);
    let key = rng.int(36, 44);
    let progression = rng.pick(prog::JAZZ);
    let scale = harmony::MAJOR;
    let mut mix = vec![0.0f32; n];
    // Ride: ding, ding-da, ding, ding-da.
    let base = rng.range(380.0, 520.0);
    let ride_dec = rng.range(0.6, 1.2);
    hits(&clock, 0..bars, "o.xxo.xx", n, rng, |p, v, _| {
        metal(&mut mix, p, v * 0.18, base, ride_dec, 3500.0)
    });
    hits(&clock, 0..bars, "..x...x.", n, rng, |p, v, r| {
        hat(&mut mix, p, v * 0.15, 0.04, 5000.0, r)
    });
    // Brushes or sticks comping on random off-beats.
    let brushes = rng.chance(0.5);
    for bar in 0..bars {
        for s in 0..8 {
            if rng.chance(0.18) {
                let p = clock.at(bar, s, rng);
                if p < n {
                    if brushes {
                        hat(&mut mix, p, 0.12, 0.15, 1800.0, rng);
                    } else {
                        snare(&mut mix, p, 0.15, 200.0, 0.12, 0.4, rng);
                    }
                }
            }
        }
    }
    // Walking bass: chord tones and approach notes, plucked.
    let mut prev = key;
    for bar in 0..bars {
        let deg = progression[bar % progression.len()];
        let chord = harmony::chord(key, scale, deg, 4);
        let next_root = harmony::degree(key, scale, progression[(bar + 1) % progression.len()]);
        for beat in 0..4 {
            let target = match beat {
                0 => chord[0],
                3 => next_root + rng.pick(&[-1, 1, 2, -2]),
                _ => rng.pick(&chord[..]),
            };
            // Keep the walk in one register: the closest octave to the last note.
            let mut note = target;
            while note - prev > 6 {
                note -= 12;
            }
            while prev - note > 6 {
                note += 12;
            }
            note = note.clamp(key - 10, key + 14);
            prev = note;
            let p = clock.at(bar, beat * 2, rng);
            if p < n {
                pluck(
                    &mut mix,
                    p,
                    dur(&clock, 1.8),
                    midi_hz(note as f32),
                    0.7,
                    2.0,
                    0.15,
                    rng,
                );
            }
        }
    }
    // Piano comping: rootless-ish 7th chords in the Charleston rhythm.
    let comp = rng.pick(&["o..x....", "x..x..x.", ".x...x..", "o....x.."]);
    let mut keys = vec![0.0f32; n];
    for bar in 0..bars {
        let deg = progression[bar % progression.len()];
        let chord = harmony::voice(&harmony::chord(key + 24, scale, deg, 4), key + 22);
        hits(&clock, bar..bar + 1, comp, n, rng, |p, v, r| {
            if r.chance(0.85) {
                for &c in &chord {
                    piano_note(&mut keys, p, dur(&clock, 1.4), c, v * 0.05, 0.4, r);
                }
            }
        });
    }
    let wet = reverb(&keys, 0.7, 0.5);
    add(&mut mix, &keys, 1.0);
    add(&mut mix, &wet, 0.2);
    Arrangement {
        mix,
        bpm,
        key,
        level: 0.8,
    }
}

fn reggae(n: usize, rng: &mut Rng) -> Arrangement {
    let bpm = rng.range(68.0, 84.0);
    let mut clock = Clock::new(bpm);
    clock.swing = rng.range(0.5, 0.58);
    let bars = clock.bars_in(n as f32 / SR);
    let key = rng.int(31, 38);
    let scale = rng.pick(&[
        harmony::MINOR,
        harmony::DORIAN,
        harmony::MAJOR,
        harmony::MIXOLYDIAN,
    ]);
    let progression = rng.pick(prog::REGGAE);
    let mut mix = vec![0.0f32; n];
    // One drop: kick and rim together on beat three.
    let drop = rng.pick(&["........o.......", "o.......o.......", "........o.....x."]);
    hits(&clock, 0..bars, drop, n, rng, |p, v, _| {
        kick(&mut mix, p, v * 0.9, 50.0, 110.0, 0.35, 0.0)
    });
    hits(&clock, 0..bars, "........o.......", n, rng, |p, v, r| {
        snare(&mut mix, p, v * 0.4, 400.0, 0.07, 1.0, r)
    });
    let hats_pat = rng.pick(&["x.x.x.x.x.x.x.x.", "x.xxx.xxx.xxx.xx", "..x...x...x...x."]);
    hits(&clock, 0..bars, hats_pat, n, rng, |p, v, r| {
        hat(&mut mix, p, v * 0.15, 0.04, 7000.0, r)
    });
    // Skank: short chord chops on the off-beats, guitar (plucked) or organ.
    let guitar = rng.chance(0.6);
    let mut skank = vec![0.0f32; n];
    for bar in 0..bars {
        let deg = progression[(bar / 2) % progression.len()];
        let chord = harmony::voice(&harmony::chord(key + 24, scale, deg, 3), key + 36);
        hits(
            &clock,
            bar..bar + 1,
            "....x.......x...",
            n,
            rng,
            |p, v, r| {
                for &c in &chord {
                    if guitar {
                        pluck(
                            &mut skank,
                            p,
                            dur(&clock, 1.0),
                            midi_hz(c as f32),
                            v * 0.25,
                            0.6,
                            0.8,
                            r,
                        );
                    } else {
                        partials(
                            &mut skank,
                            p,
                            dur(&clock, 1.0),
                            midi_hz(c as f32),
                            v * 0.05,
                            &organ_parts(0.8),
                            0.003,
                            0.03,
                        );
                    }
                }
            },
        );
        // Organ "bubble" on the and-of-every-beat.
        if !guitar {
            hits(
                &clock,
                bar..bar + 1,
                "..x...x...x...x.",
                n,
                rng,
                |p, v, _| {
                    partials(
                        &mut skank,
                        p,
                        dur(&clock, 0.8),
                        midi_hz(chord[0] as f32),
                        v * 0.04,
                        &organ_parts(0.5),
                        0.003,
                        0.03,
                    );
                },
            );
        }
    }
    let wet = echo(&skank, clock.beat() * 0.75, rng.range(0.3, 0.55), 1800.0);
    add(&mut mix, &skank, 1.0);
    add(&mut mix, &wet, 0.45);
    // Deep bass riff, resting on the one.
    let bass = Tone {
        wave: Wave::Sine,
        unison: 1,
        detune: 0.0,
        cutoff: 300.0,
        env_cutoff: 200.0,
        q: 0.7,
        env: Adsr {
            attack: 0.01,
            decay: 0.4,
            sustain: 0.6,
            release: 0.08,
        },
        vibrato: (0.0, 0.0),
        drive: 0.3,
    };
    let riff_pat = rng.pick(&["..x.x..x..x.x...", "...x.x.x..xx..x.", "..x..x.x.x..x..."]);
    let degs: Vec<i32> = (0..16).map(|_| rng.pick(&[0, 0, 2, 4, 4, 5, -3])).collect();
    for bar in 0..bars {
        let root_deg = progression[(bar / 2) % progression.len()];
        let mut k = 0;
        hits(&clock, bar..bar + 1, riff_pat, n, rng, |p, v, _| {
            let note = harmony::degree(key, scale, root_deg + degs[k % 16]);
            k += 1;
            tone(
                &mut mix,
                p,
                dur(&clock, 1.8),
                midi_hz(note as f32),
                v * 0.55,
                &bass,
            );
        });
    }
    Arrangement {
        mix,
        bpm,
        key,
        level: 0.85,
    }
}

fn ambient(n: usize, rng: &mut Rng) -> Arrangement {
    // A nominal slow tempo paces the chord changes; there is no beat.
    let bpm = rng.range(50.0, 70.0);
    let key = rng.int(36, 47);
    let scale = rng.pick(&[
        harmony::LYDIAN,
        harmony::MAJOR,
        harmony::DORIAN,
        harmony::MINOR,
    ]);
    let mut mix = vec![0.0f32; n];
    // Drone: root, fifth and octave held throughout, slowly beating.
    let drone: Vec<Partial> = vec![
        (1.0, 1.0, 200.0),
        (1.003, 0.7, 200.0),
        (1.5, 0.5, 200.0),
        (2.0, 0.35, 200.0),
        (3.0, 0.12, 200.0),
    ];
    partials(
        &mut mix,
        0,
        n,
        midi_hz((key - 12) as f32),
        0.3,
        &drone,
        4.0,
        3.0,
    );
    // Slow pads changing every 5–9 s.
    let pad = Tone {
        wave: rng.pick(&[Wave::Saw, Wave::Triangle, Wave::Pulse(0.3)]),
        unison: 3,
        detune: rng.range(8.0, 25.0),
        cutoff: rng.range(400.0, 1200.0),
        env_cutoff: 300.0,
        q: 0.8,
        env: Adsr {
            attack: rng.range(2.0, 4.0),
            decay: 3.0,
            sustain: 0.8,
            release: 3.0,
        },
        vibrato: (0.3, 0.05),
        drive: 0.0,
    };
    let mut pads = vec![0.0f32; n];
    let mut t = rng.range(0.0, 2.0);
    while t < n as f32 / SR - 2.0 {
        let len = rng.range(5.0, 9.0);
        let deg = rng.pick(&[0, 3, 5, 1, 4]);
        let chord = harmony::voice(
            &harmony::chord(key + 12, scale, deg, rng.pick(&[3, 4])),
            key + 12,
        );
        for &c in &chord {
            tone(
                &mut pads,
                (t * SR) as usize,
                (len * SR) as usize,
                midi_hz(c as f32),
                0.08,
                &pad,
            );
        }
        t += len * rng.range(0.7, 1.0);
    }
    // Wind: noise through a slowly sweeping band-pass.
    let wind_amp = rng.range(0.0, 0.15);
    if wind_amp > 0.03 {
        let mut bp = Svf::new(600.0, 2.0);
        let rate = rng.range(0.03, 0.08);
        let mut wrng = Rng::new(rng.next_u64());
        for (i, v) in mix.iter_mut().enumerate() {
            if i % 64 == 0 {
                let sweep = super::synth::sin_turns(i as f32 / SR * rate);
                bp.set(500.0 + 400.0 * sweep, 2.0);
            }
            let (_, band, _) = bp.tick(wrng.noise());
            *v += band * wind_amp;
        }
    }
    // Sparse FM bells.
    let bell_count = rng.int(0, 6);
    for _ in 0..bell_count {
        let p = (rng.range(1.0, n as f32 / SR - 3.0) * SR) as usize;
        let note = harmony::degree(key + 24, scale, rng.int(0, 9));
        let env = Adsr {
            attack: 0.002,
            decay: 3.0,
            sustain: 0.0,
            release: 2.0,
        };
        fm(
            &mut pads,
            p,
            (3.0 * SR) as usize,
            midi_hz(note as f32),
            0.04,
            3.5,
            2.0,
            1.5,
            &env,
        );
    }
    let wet = reverb(&pads, 1.8, 0.3);
    add(&mut mix, &pads, 1.0);
    add(&mut mix, &wet, 0.7);
    Arrangement {
        mix,
        bpm,
        key,
        level: rng.range(0.45, 0.7),
    }
}

fn chiptune(n: usize, rng: &mut Rng) -> Arrangement {
    let bpm = rng.range(130.0, 165.0);
    let clock = Clock::new(bpm);
    let bars = clock.bars_in(n as f32 / SR);
    let key = rng.int(45, 52);
    let major = rng.chance(0.6);
    let scale = if major {
        harmony::MAJOR
    } else {
        harmony::MINOR
    };
    let progression = rng.pick(prog::CHIP);
    let mut mix = vec![0.0f32; n];
    let kicks = rng.pick(&["o.......o.......", "o...o...o...o...", "o.....o.o......."]);
    hits(&clock, 0..bars, kicks, n, rng, |p, v, _| {
        kick(&mut mix, p, v * 0.6, 60.0, 300.0, 0.12, 0.0)
    });
    hits(&clock, 0..bars, BACKBEAT, n, rng, |p, v, _| {
        lfsr_noise(&mut mix, p, v * 0.25, 8000.0, 0.12, false)
    });
    hits(&clock, 0..bars, "x.x.x.x.x.x.x.x.", n, rng, |p, v, _| {
        lfsr_noise(&mut mix, p, v * 0.1, 60000.0, 0.03, true)
    });
    let env_short = Adsr {
        attack: 0.001,
        decay: 0.5,
        sustain: 0.6,
        release: 0.01,
    };
    let square = |d: f32| Tone {
        wave: Wave::RawPulse(d),
        unison: 1,
        detune: 0.0,
        cutoff: 9000.0,
        env_cutoff: 0.0,
        q: 0.5,
        env: env_short,
        vibrato: (0.0, 0.0),
        drive: 0.0,
    };
    let lead = square(rng.pick(&[0.125, 0.25, 0.5]));
    let arp = square(rng.pick(&[0.25, 0.5]));
    let bass = Tone {
        wave: Wave::StepTriangle,
        ..square(0.5)
    };
    // Melody: a repeating two-bar motif from the scale.
    let motif: Vec<Option<i32>> = (0..32)
        .map(|_| {
            if rng.chance(0.7) {
                Some(rng.int(0, 9))
            } else {
                None
            }
        })
        .collect();
    let arp_speed = rng.pick(&[1usize, 2]);
    for bar in 0..bars {
        let deg = progression[bar % progression.len()];
        let chord = harmony::chord(key, scale, deg, 3);
        for s in 0..16 {
            let p = clock.at(bar, s, rng);
            if p >= n {
                continue;
            }
            if bar >= 1 {
                if let Some(d) = motif[(bar % 2) * 16 + s] {
                    if s % 2 == 0 {
                        let note = harmony::degree(key + 12, scale, d + deg.min(2));
                        tone(
                            &mut mix,
                            p,
                            dur(&clock, 1.8),
                            midi_hz(note as f32),
                            0.08,
                            &lead,
                        );
                    }
                }
            }
            // Fast arpeggio: the chord cycled every sixteenth (or thirty-second).
            for sub in 0..arp_speed {
                let idx = (s * arp_speed + sub) % 3;
                let q = p + sub * clock.step_samples() / arp_speed;
                if q < n {
                    tone(
                        &mut mix,
                        q,
                        dur(&clock, 0.9 / arp_speed as f32),
                        midi_hz(chord[idx] as f32),
                        0.04,
                        &arp,
                    );
                }
            }
            if s % 2 == 0 {
                let note = chord[0] - 24 + if s % 4 == 2 { 12 } else { 0 };
                tone(
                    &mut mix,
                    p,
                    dur(&clock, 1.8),
                    midi_hz(note as f32),
                    0.25,
                    &bass,
                );
            }
        }
    }
    Arrangement {
        mix,
        bpm,
        key,
        level: 0.8,
    }
}

fn strings(n: usize, rng: &mut Rng) -> Arrangement {
    let bpm = rng.range(56.0, 84.0);
    let clock = Clock::new(bpm);
    let bars = clock.bars_in(n as f32 / SR);
    let key = rng.int(36, 45);
    let minor = rng.chance(0.5);
    let scale = if minor {
        harmony::HARMONIC_MINOR
    } else {
        harmony::MAJOR
    };
    let progression = rng.pick(prog::CLASSICAL);
    let bow = Tone {
        wave: Wave::Saw,
        unison: 3,
        detune: rng.range(8.0, 18.0),
        cutoff: rng.range(1500.0, 2800.0),
        env_cutoff: 600.0,
        q: 0.8,
        env: Adsr {
            attack: rng.range(0.25, 0.6),
            decay: 2.0,
            sustain: 0.85,
            release: 0.7,
        },
        vibrato: (rng.range(4.8, 6.2), rng.range(0.1, 0.2)),
        drive: 0.0,
    };
    let mut dry = vec![0.0f32; n];
    let per_bar = rng.pick(&[1usize, 2]);
    let span = 16 / per_bar;
    for bar in 0..bars {
        // Swells: each bar its own dynamic.
        let dynamic = rng.range(0.6, 1.0);
        for half in 0..per_bar {
            let deg = progression[(bar * per_bar + half) % progression.len()];
            let chord = harmony::chord(key, scale, deg, 3);
            let p = clock.at(bar, half * span, rng);
            if p >= n {
                continue;
            }
            let gate = dur(&clock, span as f32);
            // Cello on the root, viola and violins voiced above.
            tone(
                &mut dry,
                p,
                gate,
                midi_hz((chord[0] - 12) as f32),
                0.12 * dynamic,
                &bow,
            );
            for &c in &harmony::voice(&chord, key + 12) {
                tone(&mut dry, p, gate, midi_hz(c as f32), 0.08 * dynamic, &bow);
            }
            // A slow violin line on top.
            let top = harmony::degree(key + 24, scale, deg + rng.pick(&[0, 2, 4, 7]));
            tone(&mut dry, p, gate, midi_hz(top as f32), 0.07 * dynamic, &bow);
        }
    }
    let wet = reverb(&dry, 1.6, 0.45);
    let mut mix = dry;
    add(&mut mix, &wet, 0.5);
    Arrangement {
        mix,
        bpm,
        key,
        level: rng.range(0.6, 0.85),
    }
}

fn piano(n: usize, rng: &mut Rng) -> Arrangement {
    let bpm = rng.range(66.0, 110.0);
    let mut clock = Clock::new(bpm);
    clock.jitter = 0.008;
    let bars = clock.bars_in(n as f32 / SR);
    let key = rng.int(43, 52);
    let minor = rng.chance(0.5);
    let scale = if minor {
        harmony::HARMONIC_MINOR
    } else {
        harmony::MAJOR
    };
    let progression = rng.pick(prog::CLASSICAL);
    let bright = rng.range(0.2, 0.8);
    let mut dry = vec![0.0f32; n];
    // Left hand: broken chords (Alberti, rolling arpeggio or block chords).
    let figure: &[usize] = rng.pick(&[
        &[0, 2, 1, 2][..],
        &[0, 1, 2, 1],
        &[0, 2, 3, 2],
        &[0, 1, 2, 3],
    ]);
    let lh_step = rng.pick(&[2usize, 4]);
    for bar in 0..bars {
        let deg = progression[bar % progression.len()];
        let mut chord = harmony::voice(&harmony::chord(key - 12, scale, deg, 3), key - 12);
        chord.push(chord[0] + 12);
        for (k, s) in (0..16).step_by(lh_step).enumerate() {
            let p = clock.at(bar, s, rng);
            if p < n {
                let note = chord[figure[k % figure.len()]];
                let vel = if s % 4 == 0 { 0.2 } else { 0.15 };
                piano_note(
                    &mut dry,
                    p,
                    dur(&clock, lh_step as f32 * 1.5),
                    note,
                    vel,
                    bright,
                    rng,
                );
            }
        }
        // Right hand: chord tones on strong beats, passing notes between.
        let mut s = 0;
        while s < 16 {
            let len = rng.pick(&[2usize, 4, 4, 8]);
            let p = clock.at(bar, s, rng);
            if p < n && rng.chance(0.85) {
                let off = if s % 4 == 0 {
                    rng.pick(&[0, 2, 4])
                } else {
                    rng.int(0, 6)
                };
                let note = harmony::degree(key + 12, scale, deg + off);
                piano_note(&mut dry, p, dur(&clock, len as f32), note, 0.3, bright, rng);
            }
            s += len;
        }
    }
    let wet = reverb(&dry, 1.2, 0.5);
    let mut mix = dry;
    add(&mut mix, &wet, 0.3);
    Arrangement {
        mix,
        bpm,
        key,
        level: rng.range(0.65, 0.85),
    }
}

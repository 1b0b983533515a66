//! The player's behaviour on real (generated) files through a recorder that
//! stands in for the sound card: window and length, next / previous / stop /
//! pause, continuity of every transition, and unplayable files.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use super::engine::Engine;
use super::preview::{self, PreviewOptions};
use super::record::Recorder;
use super::{Command, Item, Phase};

const SR: u32 = 22050;

/// A mono 16-bit WAV: a sine of `freq` Hz whose amplitude follows `amp(t)`.
fn wav(path: &Path, freq: f64, seconds: f64, amp: impl Fn(f64) -> f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SR,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let n = (seconds * f64::from(SR)) as usize;
    for i in 0..n {
        let t = i as f64 / f64::from(SR);
        let v = amp(t) * (2.0 * PI * freq * t).sin();
        w.write_sample((v * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// Peak level around `at` seconds of `x` (±25 ms).
fn level(x: &[f32], rate: u32, at: f64) -> f32 {
    let c = (at * f64::from(rate)) as usize;
    let h = rate as usize / 40;
    x[c - h..c + h].iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

/// Largest jump between consecutive samples.
fn max_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

/// Largest jump a full-scale sine of `freq` Hz at `amp` can make per sample.
fn natural_step(freq: f64, amp: f64, rate: u32) -> f32 {
    (2.0 * PI * freq * amp / f64::from(rate)) as f32
}

fn opts(seconds: f64) -> PreviewOptions {
    PreviewOptions {
        seconds,
        ..PreviewOptions::default()
    }
}

/// Decode what the engine asks for, at once.
fn serve(e: &mut Engine) {
    for r in e.take_requests() {
        let c = preview::load(&r.item.path, r.item.duration_s, e.options(), r.rate)
            .map_err(preview::ClipError::from);
        e.loaded(r.generation, r.index, c);
    }
}

/// Run the engine and the simulated card for `seconds`, 10 ms at a time.
fn run(e: &mut Engine, rec: &mut Recorder, seconds: f64) {
    let step = rec_rate(rec) as usize / 100;
    for _ in 0..(seconds * 100.0).round() as usize {
        serve(e);
        e.fill(rec);
        rec.play(step);
    }
}

fn rec_rate(rec: &Recorder) -> u32 {
    use super::engine::Output;
    rec.rate()
}

/// Three 8-s tones (different pitches and phases, so a cut would jump).
fn three(dir: &Path) -> Vec<PathBuf> {
    [(440.0, "a.wav"), (660.0, "b.wav"), (550.0, "c.wav")]
        .iter()
        .map(|(f, name)| {
            let p = dir.join(name);
            wav(&p, *f, 8.0, |_| 0.8);
            p
        })
        .collect()
}

fn items(paths: &[PathBuf]) -> Vec<Item> {
    paths.iter().cloned().map(Item::file).collect()
}

#[test]
fn preview_is_the_middle_window_at_the_output_rate() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ramp.wav");
    // Level grows with time, so the level heard tells where the window is.
    wav(&p, 440.0, 60.0, |t| 0.1 + 0.8 * t / 60.0);
    for rate in [22050, 48000] {
        let c = preview::load(&p, None, &PreviewOptions::default(), rate).unwrap();
        assert_eq!(c.rate, rate);
        assert_eq!(c.samples.len(), 15 * rate as usize, "{rate}");
        assert!((c.start_s - 22.5).abs() < 1e-3, "{}", c.start_s);
        for at in [2.0, 7.5, 13.0] {
            let want = 0.1 + 0.8 * (22.5 + at) / 60.0;
            let got = level(&c.samples, rate, at);
            // 0.004 of level is 0.3 s of track.
            assert!(
                (f64::from(got) - want).abs() < 0.004,
                "{rate} at {at}: {got} vs {want}"
            );
        }
        assert_eq!(c.samples[0], 0.0, "fades in from silence");
        assert!(
            c.samples[c.samples.len() - 1].abs() < 1e-3,
            "fades out to silence"
        );
        assert!(level(&c.samples, rate, 0.25) < level(&c.samples, rate, 1.0));
    }
    // The library's duration places the window; a wrong (too long) one
    // falls back to the end of the file rather than to nothing.
    let c = preview::load(&p, Some(120.0), &PreviewOptions::default(), SR).unwrap();
    assert!((c.start_s - 45.0).abs() < 1e-3, "{}", c.start_s);
    assert_eq!(c.samples.len(), 15 * SR as usize);
}

#[test]
fn a_short_track_is_previewed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("short.wav");
    wav(&p, 440.0, 4.0, |_| 0.5);
    let c = preview::load(&p, None, &PreviewOptions::default(), SR).unwrap();
    assert_eq!(c.samples.len(), 4 * SR as usize);
    assert_eq!(c.start_s, 0.0);
}

#[test]
fn previews_play_in_order_each_of_the_right_length_and_then_stop() {
    let dir = tempfile::tempdir().unwrap();
    let paths = three(dir.path());
    let mut e = Engine::new(opts(2.0), SR);
    let mut rec = Recorder::new(SR);
    e.command(Command::Play(items(&paths)));
    let mut seen = Vec::new();
    for _ in 0..800 {
        run(&mut e, &mut rec, 0.01);
        let s = e.status(0);
        if let Some(i) = s.index {
            if seen.last() != Some(&i) {
                seen.push(i);
            }
        }
    }
    assert_eq!(seen, vec![0, 1, 2]);
    assert_eq!(e.status(0).phase, Phase::Idle);
    assert!(!e.is_active());
    assert_eq!(rec.pushed(), 3 * 2 * SR as usize, "three 2-s previews");
    // Each preview is in its own pitch: 440, 660, 550 Hz, one after another.
    let played = rec.played();
    let start = played.iter().position(|v| *v != 0.0).unwrap();
    for (k, f) in [440.0, 660.0, 550.0].iter().enumerate() {
        let seg = &played[start + k * 2 * SR as usize..start + (k + 1) * 2 * SR as usize];
        let crossings = seg[SR as usize / 2..3 * SR as usize / 2]
            .windows(2)
            .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
            .count();
        assert!(
            (crossings as f64 - f).abs() <= 2.0,
            "preview {k}: {crossings} Hz"
        );
    }
    assert!(max_step(played) <= natural_step(660.0, 0.8, SR) * 1.02);
}

#[test]
fn next_previous_and_stop_move_through_the_list_without_clicks() {
    let dir = tempfile::tempdir().unwrap();
    let paths = three(dir.path());
    let mut e = Engine::new(opts(5.0), SR);
    let mut rec = Recorder::new(SR);
    e.command(Command::Play(items(&paths)));
    run(&mut e, &mut rec, 1.0);
    assert_eq!(e.status(0).index, Some(0));
    assert_eq!(e.status(0).phase, Phase::Playing);
    e.command(Command::Next);
    run(&mut e, &mut rec, 1.0);
    assert_eq!(e.status(0).index, Some(1));
    e.command(Command::Next);
    // Pressed twice quickly: moves two items.
    e.command(Command::Previous);
    e.command(Command::Previous);
    run(&mut e, &mut rec, 1.0);
    assert_eq!(e.status(0).index, Some(0));
    e.command(Command::Previous);
    run(&mut e, &mut rec, 0.5);
    assert_eq!(e.status(0).index, Some(0), "the first item starts again");
    let before = rec.pushed();
    e.command(Command::Stop);
    run(&mut e, &mut rec, 1.0);
    assert_eq!(e.status(0).phase, Phase::Idle);
    let fade = rec.pushed() - before;
    assert!(
        fade <= (0.03 * f64::from(SR)) as usize + 2,
        "stop fades out within 30 ms: {fade} samples"
    );
    let played = rec.played();
    assert!(played[played.len() - SR as usize / 2..]
        .iter()
        .all(|v| *v == 0.0));
    // Every skip faded out and the next preview faded in: no jump larger
    // than the loudest tone makes on its own.
    let bound = natural_step(660.0, 0.8, SR) * 1.02;
    assert!(max_step(played) <= bound, "{} > {bound}", max_step(played));
    // Next at the end stops.
    e.command(Command::Play(items(&paths[2..])));
    run(&mut e, &mut rec, 0.5);
    e.command(Command::Next);
    run(&mut e, &mut rec, 0.5);
    assert_eq!(e.status(0).phase, Phase::Idle);
}

#[test]
fn the_continuity_check_would_catch_a_hard_cut() {
    // The bound used above is meaningful: cutting from one tone to another
    // mid-waveform (what stopping without a fade does) breaks it.
    let a: Vec<f32> = (0..1000)
        .map(|i| (0.8 * (2.0 * PI * 440.0 * i as f64 / 22050.0).sin()) as f32)
        .collect();
    let b: Vec<f32> = (0..1000)
        .map(|i| (0.8 * (2.0 * PI * 660.0 * i as f64 / 22050.0 + 2.0).sin()) as f32)
        .collect();
    let cut: Vec<f32> = a[..737].iter().chain(&b[..]).copied().collect();
    assert!(max_step(&cut) > natural_step(660.0, 0.8, SR) * 1.02 * 2.0);
}

#[test]
fn pause_fades_out_holds_the_place_and_resumes_smoothly() {
    let dir = tempfile::tempdir().unwrap();
    let paths = three(dir.path());
    let mut e = Engine::new(opts(5.0), SR);
    let mut rec = Recorder::new(SR);
    e.command(Command::Play(items(&paths[..1])));
    run(&mut e, &mut rec, 1.5);
    e.command(Command::TogglePause);
    run(&mut e, &mut rec, 1.0);
    let s = e.status(0);
    assert_eq!(s.phase, Phase::Paused);
    let held = s.position_s;
    let pushed = rec.pushed();
    run(&mut e, &mut rec, 1.0);
    assert_eq!(rec.pushed(), pushed, "nothing is sent while paused");
    assert_eq!(e.status(0).position_s, held);
    let played = rec.played();
    assert!(played[played.len() - SR as usize / 2..]
        .iter()
        .all(|v| *v == 0.0));
    e.command(Command::TogglePause);
    run(&mut e, &mut rec, 1.0);
    assert_eq!(e.status(0).phase, Phase::Playing);
    assert!(e.status(0).position_s > held + 0.5);
    assert!(max_step(rec.played()) <= natural_step(440.0, 0.8, SR) * 1.02);
    // Played + paused audio adds up: the pause lost no samples.
    run(&mut e, &mut rec, 4.0);
    assert_eq!(rec.pushed(), 5 * SR as usize);
}

#[test]
fn an_unplayable_file_is_skipped_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let paths = three(dir.path());
    let bad = dir.path().join("notes.wav");
    std::fs::write(&bad, "this is not audio\n").unwrap();
    let list = vec![paths[0].clone(), bad.clone(), paths[1].clone()];
    let mut e = Engine::new(opts(1.0), SR);
    let mut rec = Recorder::new(SR);
    e.command(Command::Play(items(&list)));
    let mut seen = Vec::new();
    let mut messages = Vec::new();
    for _ in 0..400 {
        run(&mut e, &mut rec, 0.01);
        messages.extend(e.take_messages());
        if let Some(i) = e.status(0).index {
            if seen.last() != Some(&i) {
                seen.push(i);
            }
        }
    }
    assert_eq!(seen, vec![0, 2], "{messages:?}");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("preview skipped: "),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains("notes.wav") && messages[0].contains("text file"),
        "{}",
        messages[0]
    );
    assert_eq!(rec.pushed(), 2 * SR as usize);

    // Going back over it skips it backwards; a missing file too.
    let gone = dir.path().join("gone.wav");
    let list = vec![paths[0].clone(), gone, paths[1].clone()];
    e.command(Command::Play(items(&list)));
    run(&mut e, &mut rec, 0.3);
    e.command(Command::Next);
    run(&mut e, &mut rec, 0.3);
    assert_eq!(e.status(0).index, Some(2));
    e.command(Command::Previous);
    run(&mut e, &mut rec, 0.3);
    assert_eq!(e.status(0).index, Some(0));
    let m = e.take_messages();
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m.iter().all(|m| m.contains("gone.wav")), "{m:?}");

    // Nothing playable at all: it says so for each and stops.
    e.command(Command::Play(items(&[bad.clone(), bad])));
    run(&mut e, &mut rec, 0.3);
    assert_eq!(e.status(0).phase, Phase::Idle);
    assert_eq!(e.take_messages().len(), 2);
}

#[test]
fn volume_glides_and_a_new_list_replaces_the_old_one_smoothly() {
    let dir = tempfile::tempdir().unwrap();
    let paths = three(dir.path());
    let mut e = Engine::new(opts(4.0), SR);
    let mut rec = Recorder::new(SR);
    e.command(Command::Play(items(&paths[..1])));
    run(&mut e, &mut rec, 1.5);
    let loud = level(rec.played(), SR, 1.2);
    e.command(Command::Volume(0.5));
    run(&mut e, &mut rec, 1.0);
    let n = rec.played().len() as f64 / f64::from(SR);
    let quiet = level(rec.played(), SR, n - 0.3);
    assert!((quiet / loud - 0.5).abs() < 0.02, "{quiet} / {loud}");
    assert_eq!(e.status(0).volume, 0.5);
    e.command(Command::Volume(f32::NAN));
    assert_eq!(e.status(0).volume, 1.0, "a bad volume resets to full");
    e.command(Command::Volume(3.0));
    assert_eq!(e.status(0).volume, 1.0);
    // Replace the list mid-preview: the old one fades, the new one starts.
    e.command(Command::Play(items(&paths[1..2])));
    run(&mut e, &mut rec, 1.0);
    let s = e.status(0);
    assert_eq!((s.index, s.total, s.phase), (Some(0), 1, Phase::Playing));
    assert_eq!(s.path.as_deref(), Some(paths[1].as_path()));
    assert!(max_step(rec.played()) <= natural_step(660.0, 0.8, SR) * 1.02);
}

#[test]
fn position_follows_what_is_heard() {
    let dir = tempfile::tempdir().unwrap();
    let paths = three(dir.path());
    let mut e = Engine::new(opts(5.0), SR);
    let mut rec = Recorder::new(SR);
    e.command(Command::Play(items(&paths[..1])));
    run(&mut e, &mut rec, 2.0);
    use super::engine::Output;
    let q = rec.queued();
    let s = e.status(q);
    assert!((s.position_s - 2.0).abs() < 0.02, "{}", s.position_s);
    assert_eq!(s.length_s, 5.0);
    assert_eq!(s.title, "a.wav");
}

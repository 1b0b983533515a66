//! `musim-tui play`: previews from the command line. With playback built
//! in, ALSA's `file` plugin (over its `null` device) stands in for the sound
//! card, so the test hears what a card would: the right pitch, length and
//! level at the device's own rate, on both channels. With no device (an
//! empty ALSA configuration) it fails in one line, with nothing from ALSA.

mod cli_support;

use cli_support::{wav, Env};

/// Point ALSA's default device at a WAV file (through `null`), via the
/// `~/.asoundrc` that alsa-lib reads. The `plug` in front fixes the
/// format at 32-bit integers (the file plugin labels float data as integer
/// PCM in its WAV header).
#[cfg(feature = "playback")]
fn alsa_to_file(env: &Env, out: &std::path::Path) {
    let conf = format!(
        r#"pcm.!default {{
  type plug
  slave {{
    pcm "musimcard"
    format S32_LE
    channels 2
  }}
}}
pcm.musimcard {{
  type file
  slave.pcm "null"
  file "{}"
  format "wav"
}}
"#,
        out.display()
    );
    std::fs::write(env.home.join(".asoundrc"), conf).unwrap();
}

#[cfg(feature = "playback")]
#[test]
fn play_sends_the_preview_to_the_sound_output() {
    let env = Env::new();
    let tone = env.path("tone.wav");
    // 440 Hz at half scale, 4 s: the 2-s preview is its middle.
    wav(&tone, 440.0, 4.0);
    let card = env.path("card.wav");
    alsa_to_file(&env, &card);
    let r = env.run(&["play", tone.to_str().unwrap(), "--seconds", "2"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.is_empty(), "{r:?}");
    assert!(r.stdout.starts_with("  1/1  "), "{r:?}");
    assert!(r.stdout.contains("tone.wav  2.0 s"), "{r:?}");

    let mut rd = hound::WavReader::open(&card).unwrap();
    let spec = rd.spec();
    assert_eq!(spec.channels, 2, "{spec:?}");
    assert_eq!(
        (spec.bits_per_sample, spec.sample_format),
        (32, hound::SampleFormat::Int)
    );
    let v: Vec<f64> = rd
        .samples::<i32>()
        .map(|s| f64::from(s.unwrap()) / 2f64.powi(31))
        .collect();
    let frames: Vec<(f64, f64)> = v.chunks_exact(2).map(|c| (c[0], c[1])).collect();
    assert!(frames.iter().all(|(l, r)| l == r), "mono on both channels");
    // The null device takes samples faster than real time, so the queue
    // runs dry between buffers and the card plays zeros: what is not zero
    // is the preview, in order (less a few samples of the fade-in too
    // small for 32 bits).
    let heard: Vec<f64> = frames.iter().map(|f| f.0).filter(|s| *s != 0.0).collect();
    let want = 2 * spec.sample_rate as usize;
    assert!(
        heard.len() <= want && heard.len() + 100 >= want,
        "{} samples of sound, want {want} (2 s at {} Hz)",
        heard.len(),
        spec.sample_rate
    );
    let peak = heard.iter().fold(0.0f64, |m, s| m.max(s.abs()));
    assert!((peak - 0.5).abs() < 0.01, "level {peak}");
    let cycles = heard
        .windows(2)
        .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
        .count();
    assert!(
        (cycles as f64 - 880.0).abs() <= 3.0,
        "{cycles} cycles in 2 s, want 440 Hz"
    );
}

#[test]
fn play_without_a_sound_device_fails_in_one_line() {
    let env = Env::new();
    let tone = env.path("tone.wav");
    wav(&tone, 440.0, 1.0);
    let empty = env.path("alsa.conf");
    std::fs::write(&empty, "").unwrap();
    let r = env.run_env(
        &["play", tone.to_str().unwrap()],
        &[("ALSA_CONFIG_PATH", empty.to_str().unwrap())],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let want = if cfg!(feature = "playback") {
        "musim-tui: error: no audio device ("
    } else {
        "musim-tui: error: audio previews are not in this build"
    };
    assert!(r.stderr.starts_with(want), "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(!r.stderr.contains("ALSA lib"), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
}

#[test]
fn play_checks_its_arguments_before_opening_anything() {
    let env = Env::new();
    let r = env.run(&["play", env.path("nowhere.wav").to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("nowhere.wav"), "{r:?}");
    let tone = env.path("tone.wav");
    wav(&tone, 440.0, 1.0);
    for bad in ["0", "-1", "1000", "nan"] {
        let r = env.run(&["play", tone.to_str().unwrap(), &format!("--seconds={bad}")]);
        assert_eq!(r.code, 1, "{bad}: {r:?}");
        assert!(
            r.stderr.contains("between 1 and 600 seconds"),
            "{bad}: {r:?}"
        );
    }
    let r = env.run(&["play"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[cfg(feature = "playback")]
#[test]
fn play_with_neighbours_previews_the_most_similar_library_tracks_next() {
    let env = Env::new();
    let lib = env.path("lib");
    for i in 0..3 {
        wav(
            &lib.join(format!("low/low{i}.wav")),
            150.0 + 40.0 * i as f32,
            2.0,
        );
        wav(
            &lib.join(format!("high/high{i}.wav")),
            3000.0 + 400.0 * i as f32,
            2.0,
        );
    }
    let query = env.path("query.wav");
    wav(&query, 3300.0, 2.0);
    let card = env.path("card.wav");
    alsa_to_file(&env, &card);
    let lib_s = lib.to_str().unwrap();
    let r = env.run(&["train", "--library", lib_s]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = env.run(&[
        "play",
        query.to_str().unwrap(),
        "--neighbours",
        "2",
        "--seconds",
        "1",
        "--library",
        lib_s,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{r:?}");
    assert!(
        lines[0].contains("query.wav") && lines[0].contains("(high "),
        "{r:?}"
    );
    for l in &lines[1..] {
        assert!(
            l.contains("/high/high") && l.contains("(high, similarity 0."),
            "{r:?}"
        );
    }
    assert!(lines[2].starts_with("  3/3  "), "{r:?}");
}

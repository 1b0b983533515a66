//! Every bad or unusual kind of file the founding design listed, in one library, indexed
//! through the real CLI: each bad file gets a specific message naming it, and
//! every usable file is still analysed with finite values.

mod cli_support;

use std::path::Path;

use cli_support::{wav, Env};

/// A WAV of `secs` seconds at `sr` Hz with `channels` channels, each sample
/// from `f(t, channel)`.
fn wav_with(path: &Path, sr: u32, channels: u16, secs: f32, f: impl Fn(f32, u16) -> f32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels,
        sample_rate: sr,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(secs * sr as f32) as usize {
        let t = i as f32 / sr as f32;
        for c in 0..channels {
            w.write_sample((f(t, c).clamp(-1.0, 1.0) * 32767.0) as i16)
                .unwrap();
        }
    }
    w.finalize().unwrap();
}

fn sine(freq: f32) -> impl Fn(f32, u16) -> f32 {
    move |t, _| 0.5 * (2.0 * std::f32::consts::PI * freq * t).sin()
}

fn index_library(env: &Env, lib: &Path, index: &Path) -> cli_support::Run {
    env.run(&[
        "index",
        "--library",
        lib.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
    ])
}

fn exported(env: &Env, lib: &Path, index: &Path) -> serde_json::Value {
    let r = env.run(&[
        "export",
        "--library",
        lib.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "export failed: {}", r.stderr);
    serde_json::from_str(&r.stdout).expect("export is JSON")
}

fn track<'a>(json: &'a serde_json::Value, file: &str) -> Option<&'a serde_json::Value> {
    json["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["path"].as_str().unwrap().ends_with(file))
}

#[test]
fn a_library_of_bad_and_odd_files_is_indexed_with_specific_messages() {
    let env = Env::new();
    let lib = env.path("lib");
    // Usable, if odd, audio: all must be analysed.
    wav(&lib.join("good.wav"), 440.0, 2.0);
    wav_with(&lib.join("silence.wav"), 22050, 1, 2.0, |_, _| 0.0);
    wav_with(&lib.join("dc.wav"), 22050, 1, 2.0, |_, _| 0.5);
    wav_with(
        &lib.join("shorter_than_a_frame.wav"),
        22050,
        1,
        0.005,
        sine(440.0),
    );
    wav_with(&lib.join("rate_8k.wav"), 8000, 1, 2.0, sine(440.0));
    wav_with(&lib.join("rate_192k.wav"), 192_000, 1, 2.0, sine(440.0));
    wav_with(&lib.join("six_channels.wav"), 44100, 6, 2.0, sine(440.0));
    // A truncated file: the header promises more data than there is.
    wav(&lib.join("truncated.wav"), 440.0, 2.0);
    let bytes = std::fs::read(lib.join("truncated.wav")).unwrap();
    std::fs::write(lib.join("truncated.wav"), &bytes[..bytes.len() / 2]).unwrap();
    // Unusable files: each must fail with its own reason.
    std::fs::write(lib.join("zero_bytes.mp3"), b"").unwrap();
    std::fs::write(
        lib.join("text.mp3"),
        "these are not the droids\n".repeat(50),
    )
    .unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.resize(2000, 7);
    std::fs::write(lib.join("image.wav"), png).unwrap();
    let index = env.path("lib.idx");

    let r = index_library(&env, &lib, &index);
    assert_eq!(r.code, 0, "index run failed: {}", r.stderr);
    let out = format!("{}{}", r.stdout, r.stderr);
    for (file, reason) in [
        ("zero_bytes.mp3", "empty file"),
        ("text.mp3", "not an audio file"),
        ("image.wav", "PNG"),
        ("truncated.wav", "truncated"),
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no message names {file}:\n{out}"));
        assert!(
            line.contains(reason),
            "message for {file} should say {reason:?}: {line}"
        );
    }

    let json = exported(&env, &lib, &index);
    let names = json["feature_names"].as_array().unwrap().len();
    for (file, secs) in [
        ("good.wav", 2.0),
        ("silence.wav", 2.0),
        ("dc.wav", 2.0),
        ("shorter_than_a_frame.wav", 0.005),
        ("rate_8k.wav", 2.0),
        ("rate_192k.wav", 2.0),
        ("six_channels.wav", 2.0),
        ("truncated.wav", 1.0),
    ] {
        let t = track(&json, file).unwrap_or_else(|| panic!("{file} was not analysed"));
        let d = t["duration_s"].as_f64().unwrap();
        assert!(
            (d - secs).abs() < 0.02 + 0.01 * secs,
            "{file}: duration {d}, expected {secs}"
        );
        let values = t["values"].as_array().unwrap();
        assert_eq!(values.len(), names);
        assert!(
            values
                .iter()
                .all(|v| v.as_f64().is_some_and(f64::is_finite)),
            "{file}: non-finite value"
        );
    }
    for file in ["zero_bytes.mp3", "text.mp3", "image.wav"] {
        assert!(track(&json, file).is_none(), "{file} must not be exported");
    }
    // The same tone through 8 kHz, 22.05 kHz, 192 kHz and 6 channels lands on
    // the same chroma (A = chroma bin 9) and nearly the same centroid.
    let col = |name: &str| {
        json["feature_names"]
            .as_array()
            .unwrap()
            .iter()
            .position(|n| n == name)
            .unwrap()
    };
    let centroid = col("spectral_centroid_mean");
    let a = col("chroma_stft_mean[9]");
    let good = track(&json, "good.wav").unwrap()["values"]
        .as_array()
        .unwrap()
        .clone();
    for file in ["rate_8k.wav", "rate_192k.wav", "six_channels.wav"] {
        let v = track(&json, file).unwrap()["values"].as_array().unwrap();
        let (c0, c1) = (
            good[centroid].as_f64().unwrap(),
            v[centroid].as_f64().unwrap(),
        );
        assert!((c0 - c1).abs() < 0.05 * c0, "{file}: centroid {c1} vs {c0}");
        assert!(
            v[a].as_f64().unwrap() > 0.9,
            "{file}: A should dominate the chroma"
        );
    }
    // Silence is all zeros where librosa gives zeros (rms, centroid).
    let s = track(&json, "silence.wav").unwrap()["values"]
        .as_array()
        .unwrap();
    assert_eq!(s[col("rms_mean")].as_f64(), Some(0.0));
    assert_eq!(s[centroid].as_f64(), Some(0.0));
}

#[test]
fn an_opus_file_without_ffmpeg_is_an_unsupported_codec_and_the_rest_is_indexed() {
    let env = Env::new();
    let lib = env.path("lib");
    wav(&lib.join("good.wav"), 440.0, 1.0);
    let opus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio");
    let src = std::fs::read_dir(&opus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "opus"))
        .expect("an .opus fixture");
    std::fs::copy(&src, lib.join("song.opus")).unwrap();
    let index = env.path("lib.idx");
    let mut cmd = std::process::Command::new(cli_support::BIN);
    cmd.args([
        "index",
        "--library",
        lib.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
    ])
    .env("MUSIM_FFMPEG", "/nonexistent/ffmpeg")
    .env("HOME", &env.home)
    .env("XDG_DATA_HOME", env.home.join(".local/share"))
    .env("XDG_CONFIG_HOME", env.home.join(".config"));
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("song.opus"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("unsupported codec") && line.contains("ffmpeg"),
        "{line}"
    );
    let json = exported(&env, &lib, &index);
    assert!(track(&json, "good.wav").is_some());
}

#[test]
fn an_hour_long_file_is_analysed() {
    let env = Env::new();
    let lib = env.path("lib");
    // One hour at 8 kHz (58 MB): long enough to cross many analysis segments
    // and the resampler's streaming, small enough for CI's disk and time.
    wav_with(&lib.join("hour.wav"), 8000, 1, 3600.0, |t, _| {
        let beat = (t * 2.0).fract();
        0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin()
            + 0.5 * (-beat * 30.0).exp() * (2.0 * std::f32::consts::PI * 60.0 * t).sin()
    });
    let index = env.path("lib.idx");
    let r = index_library(&env, &lib, &index);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = exported(&env, &lib, &index);
    let t = track(&json, "hour.wav").expect("analysed");
    assert!((t["duration_s"].as_f64().unwrap() - 3600.0).abs() < 0.1);
    let tempo = json["feature_names"]
        .as_array()
        .unwrap()
        .iter()
        .position(|n| n == "tempo")
        .unwrap();
    let bpm = t["values"][tempo].as_f64().unwrap();
    // Kicks at 2 per second: 120 BPM, which librosa's tempo bins resolve to 117.45 or 123.05.
    assert!((bpm - 120.0).abs() < 4.0, "tempo {bpm}");
}

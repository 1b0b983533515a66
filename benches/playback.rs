//! Preview benchmark (run: `cargo bench --bench playback`).
//!
//! How long `p` takes before sound: cutting the 15-s middle window of a
//! 3-minute 44.1 kHz stereo WAV (seek to it, decode and resample it to mono
//! 22050 Hz, convert it to a 48 kHz card, fade), and the rate conversion
//! alone. Median of 7 runs, one thread.

use std::time::Instant;

use musim::playback::preview::{self, PreviewOptions};
use musim::playback::rate;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("temp folder");
    let path = dir.path().join("three-minutes.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).expect("write wav");
    let n = 180 * 44100;
    for i in 0..n {
        let t = i as f64 / 44100.0;
        let l = 0.3 * (2.0 * std::f64::consts::PI * 220.0 * t).sin();
        let r = 0.3 * (2.0 * std::f64::consts::PI * 330.0 * t).sin();
        w.write_sample((l * 32767.0) as i16).expect("sample");
        w.write_sample((r * 32767.0) as i16).expect("sample");
    }
    w.finalize().expect("finish wav");

    let opts = PreviewOptions::default();
    let mut load = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let c = preview::load(&path, None, &opts, 48000).expect("preview");
        load.push(t.elapsed().as_secs_f64());
        assert_eq!(c.samples.len(), 15 * 48000);
    }
    println!(
        "preview of a 3-min 44.1 kHz stereo WAV (15 s from the middle, to 48 kHz): {:.1} ms median",
        median(load) * 1e3
    );

    let clip: Vec<f32> = (0..15 * 22050)
        .map(|i| (i as f32 * 0.05).sin() * 0.5)
        .collect();
    for to in [44100, 48000] {
        let mut conv = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let out = rate::convert(&clip, 22050, to);
            conv.push(t.elapsed().as_secs_f64());
            assert!(!out.is_empty());
        }
        println!(
            "rate conversion of 15 s, 22050 → {to} Hz: {:.1} ms median",
            median(conv) * 1e3
        );
    }
}

//! The similarity profiles on real analyses of synthesised audio: awkward
//! signals (silence, a pure tone, a 2-second file) never give NaN, the
//! musim profile's mutual proximity removes hubs, and long tracks are
//! analysed over evenly spaced windows only.

use std::f32::consts::PI;
use std::path::Path;

use musim::analysis::{analyze_file_with, Windows};
use musim::features::analyzer::fingerprint_of;
use musim::features::fingerprint::feature_names;
use musim::features::{Analyzer, SR};
use musim::report::compare::hubness;
use musim::similarity::{Profile, Space};

const SR_F: f32 = SR as f32;

fn tone(freq: f32, secs: f32, amp: f32) -> Vec<f32> {
    (0..(secs * SR_F) as usize)
        .map(|i| amp * (2.0 * PI * freq * i as f32 / SR_F).sin())
        .collect()
}

fn noise(secs: f32, seed: u64, amp: f32) -> Vec<f32> {
    let mut s = seed | 1;
    (0..(secs * SR_F) as usize)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            amp * ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
        })
        .collect()
}

/// A click track at `bpm` over a quiet tone (a "rhythmic" style).
fn clicks(bpm: f32, secs: f32, pitch: f32) -> Vec<f32> {
    let period = (60.0 / bpm * SR_F) as usize;
    let mut y = tone(pitch, secs, 0.1);
    for (i, v) in y.iter_mut().enumerate() {
        let k = i % period;
        if k < 200 {
            *v += 0.8 * (1.0 - k as f32 / 200.0) * if k.is_multiple_of(2) { 1.0 } else { -1.0 };
        }
    }
    y
}

fn chord(root: f32, secs: f32) -> Vec<f32> {
    let mut y = tone(root, secs, 0.2);
    for r in [1.26, 1.5] {
        for (a, b) in y.iter_mut().zip(tone(root * r, secs, 0.2)) {
            *a += b;
        }
    }
    y
}

#[test]
fn awkward_signals_are_regularised_never_nan() {
    let signals: Vec<Vec<f32>> = vec![
        vec![0.0; 10 * SR as usize], // silence
        tone(440.0, 10.0, 0.5),      // a pure tone
        noise(2.0, 7, 0.5),          // a 2-second file
        vec![0.25; 5 * SR as usize], // DC
        vec![0.0; 100],              // shorter than a frame
        chord(220.0, 8.0),
        clicks(120.0, 8.0, 300.0),
        noise(8.0, 9, 0.3),
    ];
    let rows: Vec<Vec<f32>> = signals.iter().map(|y| fingerprint_of(y).values).collect();
    for r in &rows {
        assert_eq!(r.len(), feature_names().len());
        assert!(r.iter().all(|v| v.is_finite()));
    }
    let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    // The deep profiles: embeddings that do not vary at all (every
    // dimension "dead") must still give finite similarities.
    let flat = vec![0.25f32; 1506];
    let embeddings: Vec<&[f32]> = rows.iter().map(|_| flat.as_slice()).collect();
    // Without embeddings, `deep` cannot be built and `fused` is its
    // hand-crafted part alone: exactly `musim`.
    assert!(matches!(
        Space::build(Profile::Deep, feature_names(), &refs),
        Err(musim::similarity::SpaceError::NoEmbeddings(
            Profile::Deep,
            _
        ))
    ));
    let fell_back = Space::build(Profile::Fused, feature_names(), &refs).unwrap();
    assert_eq!(fell_back.profile, Profile::Musim);
    assert_eq!(
        fell_back.knn_graph(3),
        Space::build(Profile::Musim, feature_names(), &refs)
            .unwrap()
            .knn_graph(3)
    );
    for profile in Profile::ALL {
        let space = Space::build_with(profile, feature_names(), &refs, Some(&embeddings)).unwrap();
        let g = space.knn_graph(3);
        for ns in &g {
            assert_eq!(ns.len(), 3);
            assert!(
                ns.iter().all(|n| n.similarity.is_finite()),
                "{profile}: {ns:?}"
            );
        }
        for r in &rows {
            let p = space.point_with(r, Some(&flat)).unwrap();
            for j in 0..space.len() {
                let s = space.similarity(&p, j);
                assert!(s.is_finite(), "{profile}: {s}");
                if matches!(profile, Profile::Musim | Profile::Fused) {
                    assert!((0.0..=1.0).contains(&s), "{s}");
                }
            }
        }
    }
}

#[test]
fn musim_profile_finds_the_same_kind_and_tames_hubs() {
    // Five kinds of sound, six variants each.
    let mut rows = Vec::new();
    let mut kind = Vec::new();
    for v in 0..6u64 {
        let f = 1.0 + v as f32 * 0.03;
        let sigs = [
            chord(196.0 * f, 6.0),
            clicks(100.0 + 4.0 * v as f32, 6.0, 500.0 * f),
            noise(6.0, 11 + v, 0.2 + 0.02 * v as f32),
            tone(880.0 * f, 6.0, 0.4),
            {
                let mut y = clicks(150.0 + 3.0 * v as f32, 6.0, 90.0 * f);
                for (a, b) in y.iter_mut().zip(noise(6.0, 40 + v, 0.05)) {
                    *a += b;
                }
                y
            },
        ];
        for (k, y) in sigs.iter().enumerate() {
            rows.push(fingerprint_of(y).values);
            kind.push(k);
        }
    }
    let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    let space = Space::build(Profile::Musim, feature_names(), &refs).unwrap();
    let g = space.knn_graph(5);
    let mut same = 0;
    for (i, ns) in g.iter().enumerate() {
        assert!(ns.iter().all(|n| n.index as usize != i), "never itself");
        same += ns
            .iter()
            .filter(|n| kind[n.index as usize] == kind[i])
            .count();
    }
    let p5 = same as f64 / (5 * rows.len()) as f64;
    assert!(p5 >= 0.9, "musim P@5 {p5}");
    let h = hubness(&g, space.len());
    assert!(h.abs() < 1.0, "hubness {h}");
}

/// A 16-bit mono 22050 Hz WAV of `y`.
fn write_wav(path: &Path, y: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SR,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in y {
        w.write_sample((v * 32767.0).round() as i16).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn long_tracks_are_analysed_over_six_windows() {
    // Four minutes whose sound changes every 20 s, so which parts are
    // analysed shows in the fingerprint.
    let secs = 240.0f32;
    let mut y = Vec::new();
    for part in 0..12 {
        let s = if part % 3 == 0 {
            chord(150.0 + 20.0 * part as f32, 20.0)
        } else if part % 3 == 1 {
            clicks(90.0 + 5.0 * part as f32, 20.0, 400.0)
        } else {
            noise(20.0, part as u64 + 3, 0.2)
        };
        y.extend(s);
    }
    assert_eq!(y.len(), (secs * SR_F) as usize);
    let y: Vec<f32> = y.iter().map(|v| v.clamp(-1.0, 1.0)).collect();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("long.wav");
    write_wav(&path, &y);
    // What the file holds, as 16-bit samples read back.
    let q: Vec<f32> = y
        .iter()
        .map(|v| (v * 32767.0).round() as i16 as f32 / 32768.0)
        .collect();

    let windows = Windows::default();
    let starts = windows.starts(Some(secs as f64)).unwrap();
    assert_eq!(starts.len(), 6);
    let got = analyze_file_with(&path, &windows).unwrap();
    assert!((got.duration_s - secs as f64).abs() < 0.01);

    // The same windows cut by hand, each its own segment.
    let mut an = Analyzer::new();
    let len = windows.seconds as usize * SR as usize;
    for &t in &starts {
        let a = (t * SR as f64).round() as usize;
        an.push(&q[a..a + len]);
        an.end_segment();
    }
    let want = an.finish().values;
    let close = got
        .fingerprint
        .values
        .iter()
        .zip(&want)
        .filter(|(a, b)| (*a - *b).abs() <= 1e-3 * (1.0 + b.abs()))
        .count();
    assert!(
        close as f64 >= 0.97 * want.len() as f64,
        "{close} of {} dimensions agree with the hand-cut windows",
        want.len()
    );
    // And it is not the whole-track analysis.
    let whole = analyze_file_with(&path, &Windows::WHOLE).unwrap();
    assert_ne!(whole.fingerprint.values, got.fingerprint.values);
    assert!((whole.duration_s - secs as f64).abs() < 0.01);
}

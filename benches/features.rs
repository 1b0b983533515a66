//! Timing of the mel/MFCC/rhythm path (plain `std::time`, no harness):
//! `cargo bench --bench features`. One core; prints the median of several runs
//! in thread CPU time (the machine is shared, so wall time would count other
//! processes' time slices).

use std::hint::black_box;
use std::time::{Duration, Instant};

use musim::features::{chroma, mel, mfcc, rhythm, spectral, stft, temporal};

#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/signal.rs"]
mod signal;

use cpu::cpu_now;
use signal::clip;

/// Median CPU time of `runs` calls of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let epoch = Instant::now();
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = cpu_now(epoch);
            f();
            cpu_now(epoch) - s
        })
        .collect();
    t.sort();
    t[runs / 2]
}

fn main() {
    let y = clip(30);
    let spec = stft::power_spectrogram(&y);
    let db = mel::mel_db(&spec);
    let env = rhythm::onset_strength(&db);
    let runs = 21;
    let report = |what: &str, d: Duration| println!("{what:<40} {:>9.3} ms", d.as_secs_f64() * 1e3);
    // `FEATURES_BENCH=spectral` times only the spectral shape features.
    if std::env::var("FEATURES_BENCH").as_deref() == Ok("spectral") {
        for _ in 0..3 {
            report(
                "spectral_features (30 s)",
                median(51, || {
                    black_box(spectral::spectral_features(black_box(&spec)));
                }),
            );
        }
        return;
    }
    report(
        "stft (30 s)",
        median(runs, || {
            black_box(stft::power_spectrogram(black_box(&y)));
        }),
    );
    report(
        "chroma_stft (30 s)",
        median(runs, || {
            black_box(chroma::chroma_stft(black_box(&spec)));
        }),
    );
    report(
        "  of which estimate_tuning",
        median(runs, || {
            black_box(chroma::estimate_tuning(black_box(&spec)));
        }),
    );
    report(
        "spectral_features (30 s)",
        median(runs, || {
            black_box(spectral::spectral_features(black_box(&spec)));
        }),
    );
    report(
        "zcr + rms (30 s)",
        median(runs, || {
            black_box(temporal::zero_crossing_rate(black_box(&y)));
            black_box(temporal::rms(black_box(&y)));
        }),
    );
    report(
        "melspectrogram (30 s)",
        median(runs, || {
            black_box(mel::melspectrogram(black_box(&spec)));
        }),
    );
    let mel_power = mel::melspectrogram(&spec);
    report(
        "power_to_db (30 s)",
        median(runs, || {
            let mut m = mel_power.clone();
            mel::power_to_db(&mut m.data);
            black_box(m);
        }),
    );
    report(
        "  of which cloning the input",
        median(runs, || {
            black_box(mel_power.clone());
        }),
    );
    report(
        "mfcc (30 s)",
        median(runs, || {
            black_box(mfcc::mfcc(black_box(&db)));
        }),
    );
    report(
        "onset_strength (30 s)",
        median(runs, || {
            black_box(rhythm::onset_strength(black_box(&db)));
        }),
    );
    report(
        "tempo (30 s)",
        median(runs, || {
            black_box(rhythm::tempo(black_box(&env)));
        }),
    );
    report(
        "stft+mel_db+mfcc+onset+tempo (30 s)",
        median(runs, || {
            let s = stft::power_spectrogram(&y);
            let d = mel::mel_db(&s);
            black_box(mfcc::mfcc(&d));
            black_box(rhythm::tempo(&rhythm::onset_strength(&d)));
        }),
    );
    // The whole per-frame pipeline, once the chroma/spectral/temporal modules
    // are merged (they are stubs on the feature branch: report and go on).
    std::panic::set_hook(Box::new(|_| {}));
    let full = std::panic::catch_unwind(|| {
        median(runs, || {
            black_box(musim::features::frame_features(black_box(&y)));
        })
    });
    let _ = std::panic::take_hook();
    match full {
        Ok(d) => {
            report("frame_features (30 s)", d);
            report(
                "frame_features + tempo (30 s)",
                median(runs, || {
                    let f = musim::features::frame_features(&y);
                    black_box(rhythm::tempo(&f.onset_env));
                }),
            );
        }
        Err(_) => println!("frame_features: not available (unmerged stubs)"),
    }
    // 3 hours of envelope (≈ 465k frames), built by repeating the clip's.
    let long: Vec<f32> = env
        .iter()
        .copied()
        .cycle()
        .take(3 * 3600 * 22050 / 512 + 1)
        .collect();
    report(
        "tempo (3 h envelope)",
        median(3, || {
            black_box(rhythm::tempo(black_box(&long)));
        }),
    );
}

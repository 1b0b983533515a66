//! Timing of the deep embedding (plain `std::time`, no harness):
//! `cargo bench --bench deep`. One core (the network runs on the calling thread);
//! prints medians in thread CPU time, as the machine is shared (wall time
//! would count other processes' time slices), with wall time beside it.
//!
//! `DEEP_BENCH=portable` also times the network on its portable kernels.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use musim::deep::frontend::{self, PATCH_LEN};
use musim::deep::kernels::Kernels;
use musim::deep::{DeepAccumulator, DeepModel};

#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/signal.rs"]
mod signal;

use cpu::cpu_now;
use signal::clip;

/// Median (CPU, wall) time of `runs` calls of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let epoch = Instant::now();
    let mut t: Vec<(Duration, Duration)> = (0..runs)
        .map(|_| {
            let (s, w) = (cpu_now(epoch), Instant::now());
            f();
            (cpu_now(epoch) - s, w.elapsed())
        })
        .collect();
    t.sort();
    t[runs / 2]
}

fn report(what: &str, (cpu, wall): (Duration, Duration)) {
    println!(
        "{what:<52} {:>9.2} ms CPU {:>9.2} ms wall",
        cpu.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e3
    );
}

fn main() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/models/musicnn-msd.onnx"
    ))
    .expect("the model file");
    let y = clip(30);

    report(
        "load + optimise the model (once per process)",
        median(3, || {
            black_box(DeepModel::built_in().unwrap());
        }),
    );
    let model = Arc::new(DeepModel::built_in().unwrap());

    report(
        "resample 22050 → 16000 Hz, 30 s",
        median(21, || {
            black_box(frontend::resample_to_16k(black_box(&y)));
        }),
    );
    report(
        "log-mel front end, 30 s (resample + STFT + mel + log)",
        median(21, || {
            black_box(frontend::log_mel(black_box(&y)));
        }),
    );
    let mel = frontend::log_mel(&y);
    let patches = mel.patches();
    println!(
        "30-s window: {} frames, {} patches",
        mel.frames,
        mel.n_patches()
    );

    report(
        "network alone, one patch",
        median(11, || {
            black_box(model.run(&patches[..PATCH_LEN]).unwrap());
        }),
    );
    report(
        "network alone, 10 patches",
        median(5, || {
            black_box(model.run(black_box(patches)).unwrap());
        }),
    );
    report(
        "embedding of one 30-s window (front end + network)",
        median(5, || {
            let mut acc = DeepAccumulator::with_model(model.clone());
            acc.push_window(black_box(&y)).unwrap();
            black_box(acc.finish().unwrap());
        }),
    );

    // Whole tracks with the deep profile: the fast analysis plus the
    // embedding on the same windows, default patch budget.
    if let Some(dir) = std::env::var_os("MUSIM_BENCH_TRACKS") {
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| {
            p.extension()
                .is_some_and(|e| e == "ogg" || e == "mp3" || e == "flac" || e == "wav")
        });
        files.sort();
        let windows = musim::analysis::Windows::default();
        let epoch = Instant::now();
        let mut per_track: Vec<(f64, f64, f64)> = Vec::new();
        let mut one_pass: Vec<f64> = Vec::new();
        for p in &files {
            // A query's path: both from one decoding.
            let c = cpu_now(epoch);
            if musim::deep::track::analyze_and_embed(p, &windows, model.clone()).is_ok() {
                one_pass.push((cpu_now(epoch) - c).as_secs_f64());
            }
            let c0 = cpu_now(epoch);
            let Ok(a) = musim::analysis::analyze_file_with(p, &windows) else {
                continue;
            };
            let c1 = cpu_now(epoch);
            let Ok(d) = musim::deep::embed_file(p, &windows, model.clone()) else {
                continue;
            };
            let c2 = cpu_now(epoch);
            let _ = (a, d);
            per_track.push((
                (c2 - c0).as_secs_f64(),
                (c1 - c0).as_secs_f64(),
                (c2 - c1).as_secs_f64(),
            ));
        }
        if !per_track.is_empty() {
            per_track.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (med, max) = (
                per_track[per_track.len() / 2],
                per_track[per_track.len() - 1],
            );
            println!(
                "full track with the deep profile (analysis + embedding, {} patches at most, 1 core): median {:.2} s CPU ({:.2} + {:.2}), max {:.2} s, {} tracks",
                musim::deep::track::patch_budget(),
                med.0,
                med.1,
                med.2,
                max.0,
                per_track.len()
            );
            one_pass.sort_by(f64::total_cmp);
            println!(
                "the same from one decoding (a deep query's path): median {:.2} s CPU, max {:.2} s",
                one_pass[one_pass.len() / 2],
                one_pass[one_pass.len() - 1]
            );
        }
    }

    if std::env::var("DEEP_BENCH").as_deref() == Ok("portable") {
        let m = DeepModel::from_bytes(&bytes, "bench")
            .unwrap()
            .with_kernels(Kernels::Portable);
        report(
            "network, 10 patches, portable kernels",
            median(3, || {
                black_box(m.run(black_box(patches)).unwrap());
            }),
        );
    }
}

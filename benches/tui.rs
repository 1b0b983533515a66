//! Explorer rendering benchmark (run: `cargo bench --bench tui`).
//!
//! A model of N synthetic tracks (`MUSIM_BENCH_TUI_N`, default 10 000;
//! `MUSIM_BENCH_TUI_TSNE` t-SNE iterations, default 250, fewer make a
//! 100 000-track model quicker to build and draw the same): time to render
//! a full frame (map with every point, clusters, details, query line,
//! status) into an off-screen 200×60 buffer — bar ≤ 10 ms; the finder's
//! update per typed key — bar ≤ 20 ms; a cursor move on the UI thread (the
//! move, and asking the worker for the track's details) and, apart, those
//! details on the worker (the query module's answer for the track); and
//! the key-to-frame time while a training worker keeps the cores busy
//! (`MUSIM_BENCH_TUI_BUSY=0` skips it) — bar: under one frame.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use musim::app::model_file::build;
use musim::library::index::{Entry, Index, Outcome};
use musim::model::ModelParams;
use musim::tui::app::{App, Details, Effect};
use musim::tui::keymap::{Action, Keymap};
use musim::tui::ui;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn index(n: usize, seed: u64) -> Index {
    let names = musim::features::fingerprint::feature_names().to_vec();
    let mut s = seed;
    let mut r = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
    };
    let centres: Vec<Vec<f32>> = (0..12)
        .map(|_| (0..names.len()).map(|_| r() * 6.0).collect())
        .collect();
    let mut idx = Index::empty(Path::new("/bench"));
    idx.header.feature_names = names;
    idx.entries = (0..n)
        .map(|i| Entry {
            path: format!("/bench/g{}/{i}.wav", i % 12).into_bytes(),
            size: 1,
            mtime_ns: 1,
            label: Some(format!("genre{}", i % 12)),
            tags: None,
            outcome: Outcome::Analysed {
                duration_s: 30.0,
                values: centres[i % 12].iter().map(|c| c + r() * 4.0).collect(),
            },
        })
        .collect();
    idx
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::var("MUSIM_BENCH_TUI_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let iterations: usize = std::env::var("MUSIM_BENCH_TUI_TSNE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let params = ModelParams {
        tsne_iterations: iterations,
        ..ModelParams::default()
    };
    let no = AtomicBool::new(false);
    let model = match build(index(n, 1), &params, &|_| {}, &no) {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("tui bench: {e}");
            std::process::exit(1);
        }
    };
    let mut app = App::new(Some(model), "/bench".into(), Keymap::defaults());
    // An off-screen backend cannot fail (its error type is uninhabited).
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap_or_else(|e| match e {});
    let mut frame = || {
        let t = Instant::now();
        let _ = term.draw(|f| ui::draw(f, &app));
        t.elapsed().as_secs_f64() * 1000.0
    };
    for _ in 0..5 {
        frame();
    }
    let times: Vec<f64> = (0..50).map(|_| frame()).collect();
    println!(
        "tui bench: {n} points, 200×60 frame: median {:.2} ms, max {:.2} ms (bar ≤ 10 ms)",
        median(times.clone()),
        times.iter().cloned().fold(0.0, f64::max)
    );

    // Find as you type: "g", "g1", "g1/", … then back to "" (the first
    // letters match the most tracks: the slowest).
    let typed = ["g", "g1", "g1/", "g1/1", "g1/12", "1", "12", "123", "1234"];
    let mut keystrokes = Vec::new();
    for _ in 0..5 {
        for t in typed {
            let start = Instant::now();
            app.finder.update(t);
            keystrokes.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        app.finder.update("");
    }
    println!(
        "  finder update per keystroke: median {:.2} ms, max {:.2} ms (bar ≤ 20 ms)",
        median(keystrokes.clone()),
        keystrokes.iter().cloned().fold(0.0, f64::max)
    );

    // A cursor move on the UI thread: the move, then the request for its
    // details (what the event loop does per arrow key).
    let arrows = [Action::Right, Action::Down, Action::Left, Action::Up];
    let mut asked = Vec::new();
    let moves: Vec<f64> = (0..40)
        .map(|i| {
            let start = Instant::now();
            app.apply(arrows[i % arrows.len()]);
            let e = app.wanted_details();
            let t = start.elapsed().as_secs_f64() * 1000.0;
            if let Some(Effect::Details(row, _)) = e {
                asked.push(row);
            }
            t
        })
        .collect();
    println!(
        "  cursor move on the UI thread (move + details asked of the worker): median {:.3} ms, max {:.3} ms ({} moves)",
        median(moves.clone()),
        moves.iter().cloned().fold(0.0, f64::max),
        moves.len()
    );
    // The details themselves, as the worker computes them.
    let Some(model) = app.model.clone() else {
        return;
    };
    let worker: Vec<f64> = asked
        .iter()
        .take(20)
        .map(|&row| {
            let start = Instant::now();
            let _ = Details::of(&model, row);
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    if !worker.is_empty() {
        println!(
            "  its details on the worker: median {:.2} ms, max {:.2} ms",
            median(worker.clone()),
            worker.iter().cloned().fold(0.0, f64::max)
        );
    }
    if std::env::var("MUSIM_BENCH_TUI_BUSY").is_ok_and(|v| v == "0") {
        return;
    }

    // Key → frame while a worker trains another model on all cores.
    let busy = std::thread::spawn(move || {
        let big = ModelParams {
            tsne_iterations: 300,
            ..ModelParams::default()
        };
        let _ = build(index(n, 2), &big, &|_| {}, &AtomicBool::new(false));
    });
    let mut lat = Vec::new();
    let keys = [
        Action::Right,
        Action::Down,
        Action::Left,
        Action::Up,
        Action::ZoomIn,
        Action::ZoomOut,
    ];
    let started = Instant::now();
    while !busy.is_finished() && lat.len() < 400 {
        let t = Instant::now();
        app.apply(keys[lat.len() % keys.len()]);
        let _ = app.wanted_details();
        let _ = term.draw(|f| ui::draw(f, &app));
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let span = started.elapsed().as_secs_f64();
    let _ = busy.join();
    println!(
        "  key → frame during training ({} keys over {:.1} s): median {:.2} ms, max {:.2} ms (a frame is ~80 ms at the loop's poll rate)",
        lat.len(),
        span,
        median(lat.clone()),
        lat.iter().cloned().fold(0.0, f64::max)
    );
}

//! Demo-library benchmark (run: `cargo bench --bench demo`).
//!
//! Generates the full demo library into a temp folder with all cores and
//! prints the total time (bar: ≤ 10 s on 2 cores) and per-style per-track
//! render times on one core. With `MUSIM_DEMO_BENCH_ANALYSE=1` it also
//! analyses every track and prints tempo agreement, 5-NN accuracy and
//! peak/RMS per style (the listen-proxies).

use std::collections::BTreeMap;
use std::time::Instant;

use musim::demo::{self, DemoSpec, Style};
use musim::eval::{knn_loo_accuracy, zscore, Distance};
use musim::features::analyzer::fingerprint_of;
use musim::features::fingerprint::feature_names;

fn main() {
    let spec = DemoSpec::full();
    let dir = std::env::temp_dir().join(format!("musim-demo-bench-{}", std::process::id()));
    let t = Instant::now();
    let infos = match demo::write_library(&dir, &spec, &|_, _| {}) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("demo bench: {e}");
            std::process::exit(1);
        }
    };
    let total = t.elapsed().as_secs_f64();
    let audio: f64 = infos.iter().map(|i| f64::from(i.seconds)).sum();
    println!(
        "generate full demo library: {} tracks, {:.0} s of audio, {:.2} s wall ({} threads), {:.0}× realtime",
        infos.len(),
        audio,
        total,
        rayon::current_num_threads(),
        audio / total
    );
    let _ = std::fs::remove_dir_all(&dir);

    // Per-track render time, one core, first two tracks of each style.
    for style in Style::ALL {
        let t = Instant::now();
        let mut secs = 0.0;
        for n in 0..2 {
            let (_, info) = demo::render_track(style, n, None);
            secs += info.seconds;
        }
        let el = t.elapsed().as_secs_f64();
        println!(
            "  {:<12} {:.1} ms per track ({:.2} ms per audio second)",
            style.name(),
            el / 2.0 * 1e3,
            el / f64::from(secs) * 1e3
        );
    }

    if std::env::var_os("MUSIM_DEMO_BENCH_ANALYSE").is_none() {
        return;
    }
    let tempo_dim = feature_names()
        .iter()
        .position(|n| n == "tempo")
        .unwrap_or(0);
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut per_style: BTreeMap<&str, (usize, usize, f32, f64, usize)> = BTreeMap::new();
    use rayon::prelude::*;
    let results: Vec<_> = spec
        .styles
        .par_iter()
        .flat_map(|&s| (0..spec.tracks).into_par_iter().map(move |n| (s, n)))
        .map(|(s, n)| {
            let (y, info) = demo::render_track(s, n, None);
            let fp = fingerprint_of(&y);
            let peak = y.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
            let rms = (y.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>()
                / y.len() as f64)
                .sqrt();
            (info, fp.values, peak, rms)
        })
        .collect();
    for (info, fp, peak, rms) in results {
        let est = fp[tempo_dim];
        let ok = tempo_ok(est, info.bpm);
        let e = per_style
            .entry(info.style.name())
            .or_insert((0, 0, 0.0, 0.0, 0));
        e.0 += usize::from(ok);
        e.1 += 1;
        e.2 = e.2.max(peak);
        e.3 += rms;
        e.4 += 1;
        if !ok && info.style.has_beat() {
            println!(
                "  tempo miss {}: generated {:.1}, detected {:.1}",
                info.rel_path.display(),
                info.bpm,
                est
            );
        }
        rows.push(fp);
        labels.push(info.style);
    }
    let (mut hit, mut all) = (0, 0);
    for style in Style::ALL {
        let Some(&(ok, n, peak, rms, k)) = per_style.get(style.name()) else {
            continue;
        };
        if style.has_beat() {
            hit += ok;
            all += n;
        }
        println!(
            "  {:<12} tempo {ok}/{n}  peak {:.2} dBFS  mean RMS {:.1} dBFS",
            style.name(),
            20.0 * peak.log10(),
            20.0 * (rms / k as f64).log10()
        );
    }
    println!(
        "tempo agreement (styles with a beat): {hit}/{all} = {:.3}",
        hit as f64 / all as f64
    );
    let z = zscore(&rows);
    for d in [Distance::Cosine, Distance::Euclidean] {
        println!(
            "5-NN leave-one-out accuracy ({d:?}): {:.3}",
            knn_loo_accuracy(&z, &labels, 5, d)
        );
    }
}

fn tempo_ok(est: f32, bpm: f32) -> bool {
    [1.0, 2.0, 0.5]
        .iter()
        .any(|m| (est - bpm * m).abs() <= 0.02 * bpm * m)
}

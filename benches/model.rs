//! Model benchmark (run: `cargo bench --bench model`).
//!
//! Synthetic index rows (20 Gaussian groups in the descriptor dimensions,
//! plus a timbre Gaussian per track, like a labelled library; for deep and
//! fused a stand-in embedding) for each size in `MUSIM_BENCH_MODEL_N`
//! (default `1000,10000,100000`) and each profile in `MUSIM_BENCH_PROFILES`
//! (default all four): space (z-score; for musim and fused also the
//! Gaussians and the mutual-proximity spreads), K-Means (k = 10, fitted on
//! a sample of at most `ModelParams::cluster_sample` tracks), kNN graph,
//! PageRank, the t-SNE map's neighbours and its optimisation
//! (`MUSIM_BENCH_MAP=0` skips the map), each with the run's peak memory —
//! bars at 100k: the whole ≤ 120 s on 2 cores. Libraries from
//! `ModelParams::exact_below` tracks get NN-descent neighbour lists and the
//! FFT-accelerated map; `MUSIM_BENCH_EXACT_BELOW=N` moves that threshold
//! (a large N runs the all-pairs graph and Barnes–Hut map of before), and
//! `MUSIM_BENCH_QUALITY=1` adds the graph's recall@10 against the exact
//! graph and the map's trustworthiness@10 (both all pairs: slow at 100k).
//! Then at N tracks (`MUSIM_BENCH_TAIL_N`,
//! default the largest size up to 10 000), t-SNE at 1000 tracks (bar ≤ 5 s)
//! and at N (`MUSIM_BENCH_TSNE_FULL=0` skips the large one), full builds,
//! and a query against N tracks (bar ≤ 150 ms on top of analysing the
//! file); `MUSIM_BENCH_TAIL=0` skips this part. Then, at each size, the
//! incremental model (musim): a model of 99 % of the tracks built, then
//! updated with the other 1 % (`MUSIM_BENCH_UPDATE=0` skips it).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use musim::app::model_file::build;
use musim::features::fingerprint::feature_names;
use musim::features::timbre::DIMS as TD;
use musim::library::index::{Entry, Index, Outcome};
use musim::model::tsne::{tsne, tsne_timed, Phases, TsneParams};
use musim::model::{graph, incremental, kmeans, ModelParams};
use musim::query::query_point;
use musim::similarity::{Profile, Space};

#[path = "support/library.rs"]
mod library;
#[path = "support/mem.rs"]
mod mem;

use library::{embedding, rng, Rows, DIMS};

/// Full index rows of `n` tracks and each one's group.
fn fingerprints(n: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
    let mut rows = Rows::new();
    let labels: Vec<usize> = (0..n).map(|i| i % 20).collect();
    (labels.iter().map(|&l| rows.row(l)).collect(), labels)
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Library sizes to run: `MUSIM_BENCH_MODEL_N` (comma-separated), default
/// 1000, 10 000 and 100 000.
fn sizes() -> Vec<usize> {
    let spec = std::env::var("MUSIM_BENCH_MODEL_N").unwrap_or_else(|_| "1000,10000,100000".into());
    let sizes: Vec<usize> = spec
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    if sizes.is_empty() {
        eprintln!("model bench: MUSIM_BENCH_MODEL_N={spec:?} names no size (e.g. 1000,10000)");
        std::process::exit(2);
    }
    sizes
}

/// Profiles to run: `MUSIM_BENCH_PROFILES` (comma-separated), default all.
fn profiles() -> Vec<Profile> {
    let all = [Profile::Seed, Profile::Musim, Profile::Deep, Profile::Fused];
    match std::env::var("MUSIM_BENCH_PROFILES") {
        Err(_) => all.to_vec(),
        Ok(spec) => spec
            .split(',')
            .map(|p| {
                p.trim().parse().unwrap_or_else(|e| {
                    eprintln!("model bench: MUSIM_BENCH_PROFILES: {e}");
                    std::process::exit(2);
                })
            })
            .collect(),
    }
}

/// `MUSIM_BENCH_EXACT_BELOW`: the model's threshold for exact neighbour
/// lists (default [`ModelParams`]'s); a large value runs the all-pairs
/// graph and the Barnes–Hut map of before at any size.
fn exact_below() -> usize {
    std::env::var("MUSIM_BENCH_EXACT_BELOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ModelParams::default().exact_below)
}

/// Each profile's phases at `n` tracks, with the peak memory of the
/// process after each (the rows and embeddings themselves included).
fn profiles_at(n: usize, profiles: &[Profile]) {
    let defaults = ModelParams::default();
    let exact_below = exact_below();
    let map = std::env::var("MUSIM_BENCH_MAP").as_deref() != Ok("0");
    let quality = std::env::var("MUSIM_BENCH_QUALITY").as_deref() == Ok("1");
    for &profile in profiles {
        let (rows, _) = fingerprints(n);
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let emb: Vec<Vec<f32>> = if profile.needs_embeddings() {
            rows.iter().map(|r| embedding(r)).collect()
        } else {
            Vec::new()
        };
        let emb_refs: Vec<&[f32]> = emb.iter().map(Vec::as_slice).collect();
        let t = Instant::now();
        let space = match Space::build_with(profile, feature_names(), &refs, Some(&emb_refs)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("model bench: {e}");
                std::process::exit(1);
            }
        };
        drop((rows, emb));
        let t_space = secs(t);
        let m_space = mem::show_peak();
        let t = Instant::now();
        let clusters = kmeans::kmeans_sampled(&space.z, 10, 42, defaults.cluster_sample);
        let t_kmeans = secs(t);
        let t = Instant::now();
        let knn = space.knn_graph_scaled(10, exact_below);
        let t_graph = secs(t);
        let t = Instant::now();
        let pr = graph::pagerank(&knn);
        let t_pr = secs(t);
        let m_graph = mem::show_peak();
        let mut line = format!(
            "  {n} {profile}: space {t_space:.3} s · K-Means k=10 ({} clusters, sample {}) {t_kmeans:.3} s · kNN graph k=10 {t_graph:.3} s · PageRank {t_pr:.4} s ({} nodes)",
            clusters.k(),
            defaults.cluster_sample,
            pr.len(),
        );
        let mut total = t_space + t_kmeans + t_graph + t_pr;
        let mut layout = None;
        if map {
            let params = TsneParams {
                fft_from: exact_below,
                exact_neighbours_below: exact_below,
                ..TsneParams::default()
            };
            let mut phases = Phases::default();
            layout = tsne_timed(&space.z, &params, &mut |_, _| true, &mut phases);
            total += phases.affinities + phases.optimise;
            line += &format!(
                " · t-SNE neighbours {:.2} s · t-SNE map {:.2} s",
                phases.affinities, phases.optimise
            );
        }
        println!(
            "{line} · total {total:.2} s · peak memory {} (after the space {m_space}, graph {m_graph})",
            mem::show_peak(),
        );
        if quality {
            let t = Instant::now();
            let exact = space.knn_graph(10);
            let hits: usize = knn
                .iter()
                .zip(&exact)
                .map(|(a, e)| {
                    a.iter()
                        .filter(|x| e.iter().any(|y| y.index == x.index))
                        .count()
                })
                .sum();
            let mut out = format!(
                "    quality: graph recall@10 {:.4} (exact graph {:.1} s)",
                hits as f64 / (10 * n) as f64,
                secs(t)
            );
            if let Some(y) = &layout {
                out += &format!(
                    " · map trustworthiness@10 {:.4}",
                    musim::eval::trustworthiness(&space.z, y, 10)
                );
            }
            println!("{out}");
        }
    }
}

/// One profile at one size in a process of its own, so that its peak
/// memory is its own (freed memory stays with a process): the bench runs
/// itself with `MUSIM_BENCH_ONE=profile:n`.
fn run_alone(profile: Profile, n: usize) {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("model bench: cannot find its own executable: {e}");
            std::process::exit(1);
        }
    };
    let status = std::process::Command::new(exe)
        .env("MUSIM_BENCH_ONE", format!("{profile}:{n}"))
        .status();
    if !status.as_ref().is_ok_and(|s| s.success()) {
        eprintln!("model bench: the {profile} run at {n} tracks failed ({status:?})");
        std::process::exit(1);
    }
}

/// An index of the tracks `rows`, labelled by group.
fn index_of(rows: &[Vec<f32>], labels: &[usize]) -> Index {
    let mut index = Index::empty(Path::new("/bench"));
    index.header.feature_names = feature_names().to_vec();
    index.entries = rows
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (r, l))| Entry {
            path: format!("/bench/g{l}/{i}.wav").into_bytes(),
            size: 1,
            mtime_ns: 1,
            label: Some(format!("g{l}")),
            tags: None,
            outcome: Outcome::Analysed {
                duration_s: 30.0,
                values: r.clone(),
            },
        })
        .collect();
    index
}

/// The incremental model at `n` tracks (default profile): a model of 99 %
/// of them built (map included), then updated with the other 1 %.
fn update_at(n: usize) {
    let (rows, labels) = fingerprints(n);
    let all = index_of(&rows, &labels);
    drop(rows);
    let mut before = all.clone();
    before.entries.retain(|e| {
        let i: usize = String::from_utf8_lossy(&e.path)
            .rsplit('/')
            .next()
            .and_then(|f| f.trim_end_matches(".wav").parse().ok())
            .unwrap_or(0);
        i % 100 != 37
    });
    let params = ModelParams::default();
    let no = AtomicBool::new(false);
    let t = Instant::now();
    let old = match build(before, &params, &|_| {}, &no) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("model bench: {e}");
            std::process::exit(1);
        }
    };
    let t_build = secs(t);
    let input = match musim::app::model_file::input(all, &params) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("model bench: {e}");
            std::process::exit(1);
        }
    };
    let t = Instant::now();
    let diff = match incremental::plan(&old, &input, &params) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("model bench: not updated: {why}");
            std::process::exit(1);
        }
    };
    match incremental::update(old, input, &diff, &|_| {}, &no) {
        Ok((_, phases, change)) => println!(
            "  {n} musim: incremental update, {} tracks added (1 %): {:.2} s ({phases}) · the build of the other 99 % {t_build:.1} s",
            change.added,
            secs(t)
        ),
        Err(e) => {
            eprintln!("model bench: {e}");
            std::process::exit(1);
        }
    }
}

fn main() {
    if let Ok(one) = std::env::var("MUSIM_BENCH_ONE") {
        let parsed = one
            .split_once(':')
            .and_then(|(p, n)| Some((p.parse::<Profile>().ok()?, n.parse::<usize>().ok()?)));
        let Some((profile, n)) = parsed else {
            eprintln!("model bench: MUSIM_BENCH_ONE={one:?} is not profile:n");
            std::process::exit(2);
        };
        profiles_at(n, &[profile]);
        return;
    }
    let threads = rayon::current_num_threads();
    let names = feature_names();
    let sizes = sizes();
    let profiles = profiles();
    println!(
        "model bench: {} values per track ({DIMS} descriptors + timbre Gaussian; deep: 1506, 426 live), {threads} threads",
        names.len()
    );
    println!("  per profile: space (z-score; musim/fused also Gaussians and mutual-proximity spreads), K-Means, kNN graph, PageRank; bars at 10k: seed ≤ 2 s, musim ≤ 10 s");
    for &n in &sizes {
        for &p in &profiles {
            run_alone(p, n);
        }
    }
    if std::env::var("MUSIM_BENCH_UPDATE").as_deref() != Ok("0") {
        for &n in &sizes {
            update_at(n);
        }
    }
    if std::env::var("MUSIM_BENCH_TAIL").as_deref() == Ok("0") {
        return;
    }
    // The map, full builds and queries at `MUSIM_BENCH_TAIL_N` tracks
    // (default: the largest size, at most 10 000; issue-sized libraries
    // of 100 000 take the musim profile's graph minutes).
    let largest = sizes.iter().copied().max().unwrap_or(1000);
    let n = std::env::var("MUSIM_BENCH_TAIL_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(largest.min(10_000));
    println!("  at {n} tracks:");
    let (rows, labels) = fingerprints(n);
    let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    let z = match Space::build(Profile::Musim, names, &refs) {
        Ok(s) => s.z,
        Err(e) => {
            eprintln!("model bench: {e}");
            std::process::exit(1);
        }
    };
    let small: Vec<Vec<f32>> = z.iter().take(1000).cloned().collect();
    let t = Instant::now();
    let map = tsne(&small, &TsneParams::default(), &mut |_, _| true);
    println!(
        "  t-SNE 1000 tracks (exact repulsion below 1000, Barnes–Hut from 1000): {:.2} s (bar ≤ 5 s){}",
        secs(t),
        if map.is_some() { "" } else { " FAILED" }
    );
    if std::env::var("MUSIM_BENCH_TSNE_FULL").as_deref() != Ok("0") && n > 1000 {
        let t = Instant::now();
        let _ = tsne(&z, &TsneParams::default(), &mut |_, _| true);
        let how = if n >= TsneParams::default().fft_from {
            "FFT interpolation, NN-descent neighbours"
        } else {
            "Barnes–Hut"
        };
        println!("  t-SNE {n} tracks ({how}): {:.1} s", secs(t));
    }

    // Query: a built model (map skipped: it does not affect query cost).
    let index = index_of(&rows, &labels);
    let params = ModelParams {
        tsne_iterations: 0,
        ..ModelParams::default()
    };
    // A build consumes its index; the copy is made before the clock starts.
    let copy = index.clone();
    let t = Instant::now();
    let model = match build(copy, &params, &|_| {}, &AtomicBool::new(false)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("model bench: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "  full build without the map (z-score, K-Means, graph, PageRank): {:.2} s",
        secs(t)
    );
    // An unlabelled library: k chosen by silhouette over k = 2…12.
    let mut unlabelled = index.clone();
    unlabelled.entries.iter_mut().for_each(|e| e.label = None);
    let t = Instant::now();
    if let Ok(m) = build(unlabelled, &params, &|_| {}, &AtomicBool::new(false)) {
        println!(
            "  unlabelled build without the map ({}): {:.2} s",
            m.k_choice_summary(),
            secs(t)
        );
    }
    let queries = 50;
    let mut r = rng(99);
    let t = Instant::now();
    let mut hits = 0;
    for q in 0..queries {
        // A perturbed copy of a track (the timbre part kept positive definite).
        let raw: Vec<f32> = rows[q * 37 % n]
            .iter()
            .enumerate()
            .map(|(d, v)| if d < DIMS + TD { v + r() * 0.5 } else { *v })
            .collect();
        let p = match model.space.point(&raw) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("model bench: {e}");
                std::process::exit(1);
            }
        };
        let res = query_point(&model, &p, None, 10);
        hits += usize::from(
            res.genre
                .is_some_and(|g| g.genre == format!("g{}", labels[q * 37 % n])),
        );
    }
    println!(
        "  query against {n} tracks (z-score, neighbours, vote, map, why): {:.2} ms per query ({hits}/{queries} genres right)",
        secs(t) * 1000.0 / queries as f64
    );
}

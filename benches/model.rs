//! Model benchmark (run: `cargo bench --bench model`).
//!
//! Synthetic index rows (20 Gaussian groups in the descriptor dimensions,
//! plus a timbre Gaussian per track, like a labelled library) for N tracks
//! (`MUSIM_BENCH_MODEL_N`, default 10 000), for each similarity profile:
//! space (z-score; for musim also the Gaussians and the mutual-proximity
//! spreads), K-Means (k = 10), kNN graph, PageRank — bars ≤ 2 s (seed) and
//! ≤ 10 s (musim) on 2 cores; t-SNE at 1000 tracks (bar ≤ 5 s) and at N
//! (`MUSIM_BENCH_TSNE_FULL=0` skips the large one); a query against N
//! tracks (bar ≤ 150 ms on top of analysing the file).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use musim::features::fingerprint::{feature_names, timbre_offset};
use musim::features::timbre::{tri_index, DIMS as TD, STORED};
use musim::library::index::{Entry, Index, Outcome};
use musim::model::tsne::{tsne, TsneParams};
use musim::model::{build, graph, kmeans, ModelParams};
use musim::query::query_point;
use musim::similarity::{Profile, Space};

/// Dimensions of the descriptor part (before the timbre Gaussian).
const DIMS: usize = timbre_offset();

/// Deterministic pseudo-random numbers in −0.5..0.5.
fn rng(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
    }
}

/// Full index rows: descriptors from 20 Gaussian groups, then a timbre
/// Gaussian (group mean + noise, positive variances, mild correlations).
fn fingerprints(n: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
    let mut r = rng(7);
    let centres: Vec<Vec<f32>> = (0..20)
        .map(|_| (0..DIMS + TD).map(|_| r() * 6.0).collect())
        .collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 20).collect();
    let rows = labels
        .iter()
        .map(|&l| {
            let c = &centres[l];
            let mut row: Vec<f32> = c[..DIMS].iter().map(|v| v + r() * 4.0).collect();
            row.extend(c[DIMS..].iter().map(|v| 10.0 * v + r() * 8.0));
            let mut cov = vec![0.0f32; STORED - TD];
            for i in 0..TD {
                cov[tri_index(i, i)] = 20.0 + 10.0 * (c[DIMS + i].abs() + r());
                if i + 1 < TD {
                    cov[tri_index(i, i + 1)] = 3.0 * r();
                }
            }
            row.extend(cov);
            row
        })
        .collect();
    (rows, labels)
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn main() {
    let n: usize = std::env::var("MUSIM_BENCH_MODEL_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let threads = rayon::current_num_threads();
    let (rows, labels) = fingerprints(n);
    let names = feature_names();
    println!(
        "model bench: {n} tracks × {} values ({DIMS} descriptors + timbre Gaussian), {threads} threads",
        names.len()
    );
    let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();

    let mut musim_z = Vec::new();
    for profile in [Profile::Seed, Profile::Musim] {
        let t = Instant::now();
        let space = match Space::build(profile, names, &refs) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("model bench: {e}");
                std::process::exit(1);
            }
        };
        let t_space = secs(t);
        let t = Instant::now();
        let clusters = kmeans::kmeans(&space.z, 10, 42);
        let t_kmeans = secs(t);
        let t = Instant::now();
        let knn = space.knn_graph(10);
        let t_graph = secs(t);
        let t = Instant::now();
        let pr = graph::pagerank(&knn);
        let t_pr = secs(t);
        let total = t_space + t_kmeans + t_graph + t_pr;
        let bar = match profile {
            Profile::Seed => "bar ≤ 2 s",
            Profile::Musim | Profile::Deep | Profile::Fused => "bar ≤ 10 s with mutual proximity",
        };
        println!(
            "  {profile}: space (z-score{}) {:.3} s · K-Means k=10 ({} clusters) {:.3} s · kNN graph k=10 {:.3} s · PageRank {:.4} s ({} nodes) · total {:.2} s ({bar})",
            if profile == Profile::Musim { ", Gaussians, MP spreads" } else { "" },
            t_space,
            clusters.k(),
            t_kmeans,
            t_graph,
            t_pr,
            pr.len(),
            total
        );
        if profile == Profile::Musim {
            musim_z = space.z.clone();
        }
    }
    let z = musim_z;
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
        println!("  t-SNE {n} tracks (Barnes–Hut): {:.1} s", secs(t));
    }

    // Query: a built model (map skipped: it does not affect query cost).
    let mut index = Index::empty(Path::new("/bench"));
    index.header.feature_names = names.to_vec();
    index.entries = rows
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (r, l))| Entry {
            path: format!("/bench/g{l}/{i}.wav").into_bytes(),
            size: 1,
            mtime_ns: 1,
            label: Some(format!("g{l}")),
            outcome: Outcome::Analysed {
                duration_s: 30.0,
                values: r.clone(),
            },
        })
        .collect();
    let params = ModelParams {
        tsne_iterations: 0,
        ..ModelParams::default()
    };
    let t = Instant::now();
    let model = match build(&index, &params, &|_| {}, &AtomicBool::new(false)) {
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
    if let Ok(m) = build(&unlabelled, &params, &|_| {}, &AtomicBool::new(false)) {
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

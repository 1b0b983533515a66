//! Model benchmark (run: `cargo bench --bench model`).
//!
//! Synthetic fingerprints (20 Gaussian groups in 91 dimensions, like a
//! labelled library) for N tracks (`MUSIM_BENCH_MODEL_N`, default 10 000):
//! z-score, K-Means (k = 10), kNN graph, PageRank — bar ≤ 2 s together on
//! 2 cores; t-SNE at 1000 tracks (bar ≤ 5 s) and at N
//! (`MUSIM_BENCH_TSNE_FULL=0` skips the large one); a query against N
//! tracks (bar ≤ 150 ms on top of analysing the file).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use musim::library::index::{Entry, Index, Outcome};
use musim::model::normalize::Normalizer;
use musim::model::tsne::{tsne, TsneParams};
use musim::model::{build, graph, kmeans, ModelParams};
use musim::query::query_z;

const DIMS: usize = 91;

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

fn fingerprints(n: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
    let mut r = rng(7);
    let centres: Vec<Vec<f32>> = (0..20)
        .map(|_| (0..DIMS).map(|_| r() * 6.0).collect())
        .collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 20).collect();
    let rows = labels
        .iter()
        .map(|&l| centres[l].iter().map(|c| c + r() * 4.0).collect())
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
    println!("model bench: {n} tracks × {DIMS} dims, {threads} threads");

    let t = Instant::now();
    let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    let norm = Normalizer::fit(&refs, DIMS);
    let z: Vec<Vec<f32>> = rows.iter().map(|r| norm.apply(r)).collect();
    let t_norm = secs(t);
    let t = Instant::now();
    let clusters = kmeans::kmeans(&z, 10, 42);
    let t_kmeans = secs(t);
    let t = Instant::now();
    let unit = graph::unit_rows(&z);
    let knn = graph::knn_graph(&unit, 10);
    let t_graph = secs(t);
    let t = Instant::now();
    let pr = graph::pagerank(&knn);
    let t_pr = secs(t);
    let total = t_norm + t_kmeans + t_graph + t_pr;
    println!(
        "  z-score {:.3} s · K-Means k=10 ({} clusters) {:.3} s · kNN graph k=10 {:.3} s · PageRank {:.4} s ({} nodes) · total {:.2} s (bar ≤ 2 s)",
        t_norm,
        clusters.k(),
        t_kmeans,
        t_graph,
        t_pr,
        pr.len(),
        total
    );

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
    index.header.feature_names = musim::features::fingerprint::feature_names().to_vec();
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
        let raw: Vec<f32> = rows[q * 37 % n].iter().map(|v| v + r() * 0.5).collect();
        let res = query_z(&model, &norm.apply(&raw), None, 10);
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

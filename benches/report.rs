//! Report benchmark (run: `cargo bench --bench report`).
//!
//! Time to compute and write a report (metrics, three PNGs, metrics.json,
//! report.md) for a synthetic model of N tracks — the model itself is made
//! up (Gaussian genre groups in 91 dimensions, a noisy 2-D map, clusters
//! that mostly follow the genres), as the bar is the report's cost beyond
//! the model build: ≤ 10 s for 1000 tracks on 2 cores.
//!
//! `MUSIM_BENCH_REPORT_N` (comma-separated, default `1000,10000`) sets the
//! sizes, `MUSIM_BENCH_REPORT_GENRES` the number of genres (default 10),
//! `MUSIM_BENCH_REPORT_LONG=1` gives them long names, and
//! `MUSIM_BENCH_REPORT_OUT=DIR` keeps the reports (`DIR/<n>/`) to look at.
//!
//! Each size also times what `report --compare` adds for its intervals:
//! the P@5 differences of 3 profiles from a first, 2000 resamples of 20
//! artists each ([`Labelled::differences`]; the per-query precisions come
//! with the P@5 the report computes anyway).

use std::time::Instant;

use musim::library::index::{Entry, Outcome};
use musim::model::archetype::Archetype;
use musim::model::{Cluster, KChoice, Model, ModelParams, Track};
use musim::report::compare::Labelled;
use musim::report::{compute, write, Context, Options};
use musim::similarity::{Profile, Space};

const DIMS: usize = 91;

/// Deterministic pseudo-random numbers in −0.5..0.5.
fn rng(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as f64 / (1u64 << 31) as f64 - 0.5
    }
}

fn genre_names(g: usize, long: bool) -> Vec<String> {
    const BASE: [&str; 20] = [
        "blues",
        "classical",
        "country",
        "disco",
        "hiphop",
        "jazz",
        "metal",
        "pop",
        "reggae",
        "rock",
        "ambient",
        "techno",
        "house",
        "drumandbass",
        "soul",
        "funk",
        "folk",
        "latin",
        "gospel",
        "punk",
    ];
    (0..g)
        .map(|i| {
            let b = BASE[i % BASE.len()];
            let b = if i >= BASE.len() {
                format!("{b}{}", i / BASE.len())
            } else {
                b.to_string()
            };
            if long && i % 3 == 0 {
                format!("progressive atmospheric {b} from the late nineties")
            } else {
                b
            }
        })
        .collect()
}

/// A made-up model of `n` tracks in `g` genres.
pub fn synthetic_model(n: usize, g: usize, long: bool) -> Model {
    let mut r = rng(11);
    let genres = genre_names(g, long);
    let mut sorted = genres.clone();
    sorted.sort();
    let centres: Vec<Vec<f64>> = (0..g)
        .map(|_| (0..DIMS).map(|_| r() * 3.0).collect())
        .collect();
    let spots: Vec<[f64; 2]> = (0..g).map(|_| [r() * 80.0, r() * 80.0]).collect();
    let label: Vec<usize> = (0..n).map(|i| i % g).collect();
    let raw: Vec<Vec<f32>> = label
        .iter()
        .map(|&l| centres[l].iter().map(|c| (c + r() * 11.0) as f32).collect())
        .collect();
    let refs: Vec<&[f32]> = raw.iter().map(Vec::as_slice).collect();
    let names: Vec<String> = (0..DIMS).map(|d| format!("f{d}")).collect();
    // The seed profile (cosine): this bench measures the report itself.
    let space = match Space::build(Profile::Seed, &names, &refs) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("report bench: {e}");
            std::process::exit(1);
        }
    };
    let map: Vec<[f32; 2]> = label
        .iter()
        .map(|&l| {
            [
                (spots[l][0] + r() * 18.0) as f32,
                (spots[l][1] + r() * 18.0) as f32,
            ]
        })
        .collect();
    // Clusters follow the genres, with 15% of tracks elsewhere.
    let assignment: Vec<u32> = label
        .iter()
        .map(|&l| {
            if r() + 0.5 < 0.15 {
                ((r() + 0.5) * g as f64) as u32 % g as u32
            } else {
                l as u32
            }
        })
        .collect();
    let pagerank: Vec<f64> = (0..n).map(|_| r() + 0.5).collect();
    let tracks: Vec<Track> = label
        .iter()
        .enumerate()
        .map(|(i, &l)| Track {
            path: format!("/music/{}/{}.{i:05}.flac", genres[l], genres[l]).into_bytes(),
            size: 1,
            mtime_ns: 1,
            label: Some(genres[l].clone()),
            duration_s: 30.0,
            tags: Vec::new(),
            meta: Default::default(),
        })
        .collect();
    let clusters = (0..g as u32)
        .map(|c| {
            let mut members: Vec<u32> = (0..n as u32)
                .filter(|&i| assignment[i as usize] == c)
                .collect();
            members.sort_by(|&a, &b| pagerank[b as usize].total_cmp(&pagerank[a as usize]));
            Cluster {
                centroid: vec![0.0; DIMS],
                archetype: Archetype::of(
                    members.iter().map(|&i| tracks[i as usize].label.as_deref()),
                ),
                representatives: 3.min(members.len()),
                members,
            }
        })
        .collect();
    Model {
        key: 0,
        params: ModelParams {
            similarity: Profile::Seed,
            ..ModelParams::default()
        },
        feature_names: names,
        windows: Default::default(),
        tracks,
        space,
        assignment,
        clusters,
        k_choice: KChoice::Genres,
        map,
        graph: Vec::new(),
        pagerank,
        genres: sorted,
    }
}

/// Seconds [`Labelled::differences`] takes for 4 profiles of random
/// distances among `n` labelled tracks of `g` genres and 20 artists.
fn intervals(n: usize, g: usize) -> f64 {
    let entries: Vec<Entry> = (0..n)
        .map(|i| Entry {
            path: format!("/music/{}/{i}.flac", i % g).into_bytes(),
            size: 1,
            mtime_ns: 0,
            label: Some(format!("genre {}", i % g)),
            tags: Some(musim::tags::Tags {
                artist: Some(format!("artist {}", i % 20)),
                ..Default::default()
            }),
            outcome: Outcome::Analysed {
                duration_s: 1.0,
                values: Vec::new(),
            },
        })
        .collect();
    let refs: Vec<&Entry> = entries.iter().collect();
    let labelled = Labelled::of(&refs);
    let scored = (0..4u64)
        .map(|p| {
            let d: Vec<Vec<f64>> = {
                let mut r = rng(p + 7);
                (0..n).map(|_| (0..n).map(|_| r()).collect()).collect()
            };
            let fill = musim::report::filtered::matrix_distances(&d);
            labelled.scores_and_queries(&fill, &format!("p{p}"), 0.0, 0.0)
        })
        .collect();
    let t = Instant::now();
    let out = labelled.differences(scored);
    let secs = t.elapsed().as_secs_f64();
    assert!(out.iter().skip(1).all(|s| s.precision_at_5_diff.is_some()));
    secs
}

fn main() {
    let sizes: Vec<usize> = std::env::var("MUSIM_BENCH_REPORT_N")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 10_000]);
    let g: usize = std::env::var("MUSIM_BENCH_REPORT_GENRES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let long = std::env::var("MUSIM_BENCH_REPORT_LONG").is_ok_and(|v| v == "1");
    let keep = std::env::var_os("MUSIM_BENCH_REPORT_OUT");
    println!(
        "report bench: {g} genres, {} threads",
        rayon::current_num_threads()
    );
    for n in sizes {
        let model = synthetic_model(n, g, long);
        let tmp = tempfile::tempdir().unwrap();
        let dir = match &keep {
            Some(d) => std::path::Path::new(d).join(n.to_string()),
            None => tmp.path().join("results"),
        };
        let ctx = Context {
            library: Some("/music".into()),
            failed: 0,
            comparison: Vec::new(),
        };
        let t = Instant::now();
        let _ = compute(&model, &ctx, &Options::default());
        let metrics = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let w = write(&model, &ctx, &Options::default(), &dir).unwrap();
        let secs = t.elapsed().as_secs_f64();
        let acc = w
            .report
            .classification
            .as_ref()
            .and_then(|c| c.accuracy.value)
            .unwrap_or(f64::NAN);
        println!(
            "report of {n:>6} tracks: {secs:7.2} s, of which metrics {metrics:.2} s \
             (5-NN accuracy {acc:.3}; bar ≤ 10 s at 1000)"
        );
        println!(
            "  report --compare's intervals at {n} tracks (3 differences, 20 artists): {:.1} ms",
            intervals(n, g) * 1e3
        );
    }
}

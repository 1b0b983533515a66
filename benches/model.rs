//! Model benchmark (run: `cargo bench --bench model`).
//!
//! Synthetic index rows (20 labelled Gaussian groups in the descriptor
//! dimensions, plus a timbre Gaussian per track; for deep and fused a
//! stand-in 1506-value embedding, 426 live units) for each size in
//! `MUSIM_BENCH_MODEL_N` (default `1000,10000`: under 4 minutes on 2
//! cores shared with other builds; `1000,10000,100000` adds the issue's
//! size, over 20 minutes more on such cores, see docs/PERFORMANCE.md) and
//! each profile in
//! `MUSIM_BENCH_PROFILES` (default `musim,fused`, the product profiles),
//! each in a process of its own so its peak memory is its own. Each run is
//! what `train` does: the model built (every phase timed as `train`
//! prints them: space, K-Means, kNN graph, PageRank, t-SNE neighbours,
//! t-SNE map) and saved, with the process's peak memory; then read back
//! and updated with 1 % more tracks (the incremental model, as `train`
//! does for a library that grew a little) and saved again
//! (`MUSIM_BENCH_UPDATE=0` skips the update). The runs end with one
//! table of every size and profile. Bars at 100k: the build ≤ 120 s and
//! ≤ 2 GB on 2 cores, the update ≤ 10 s.
//!
//! `MUSIM_BENCH_MAP=0` skips the map; `MUSIM_BENCH_EXACT_BELOW=N` moves the
//! threshold under which neighbour lists are exact (a large N runs the
//! all-pairs graph and Barnes–Hut map of before); `MUSIM_BENCH_QUALITY=1`
//! adds the graph's recall@10 against the exact graph and the map's
//! trustworthiness@10 (both all pairs: slow at 100k).
//! `MUSIM_BENCH_TAIL=1` then runs, at N tracks (`MUSIM_BENCH_TAIL_N`,
//! default the largest size up to 10 000), t-SNE at 1000 tracks and at N
//! (`MUSIM_BENCH_TSNE_FULL=0` skips the large one), full builds, and a
//! query against N tracks (bar ≤ 150 ms on top of analysing the file).

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use musim::app::model_file::{build, read, save};
use musim::features::fingerprint::feature_names;
use musim::features::timbre::DIMS as TD;
use musim::library::index::Index;
use musim::model::tsne::{tsne, TsneParams};
use musim::model::{incremental, ModelParams, Timings};
use musim::query::query_point;
use musim::similarity::{Profile, Space};

#[path = "support/library.rs"]
mod library;

use library::{rng, Rows, DIMS};

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
/// 1000 and 10 000 (100 000 is asked for: see the top).
fn sizes() -> Vec<usize> {
    let spec = std::env::var("MUSIM_BENCH_MODEL_N").unwrap_or_else(|_| "1000,10000".into());
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

/// Profiles to run: `MUSIM_BENCH_PROFILES` (comma-separated), default
/// the product profiles, musim and fused.
fn profiles() -> Vec<Profile> {
    match std::env::var("MUSIM_BENCH_PROFILES") {
        Err(_) => vec![Profile::Musim, Profile::Fused],
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

/// The model's parameters for the runs (`MUSIM_BENCH_MAP`,
/// `MUSIM_BENCH_EXACT_BELOW`).
fn bench_params(profile: Profile) -> ModelParams {
    let defaults = ModelParams::default();
    ModelParams {
        similarity: profile,
        exact_below: exact_below(),
        tsne_iterations: if std::env::var("MUSIM_BENCH_MAP").as_deref() == Ok("0") {
            0
        } else {
            defaults.tsne_iterations
        },
        ..defaults
    }
}

/// Ends the bench with `what` and its error.
fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("model bench: {what}: {e}");
    std::process::exit(1);
}

/// "1.23 GB" for a peak in bytes.
fn gb(peak: Option<u64>) -> String {
    peak.map_or_else(|| "?".into(), |b| format!("{:.2} GB", b as f64 / 1e9))
}

/// The seconds of phase `name` in `t` ("" when it did not run).
fn phase(t: &Timings, name: &str) -> String {
    t.0.iter()
        .find(|p| p.name == name)
        .map_or_else(String::new, |p| format!("{:.2}", p.seconds))
}

/// One profile at `n` tracks, as `train` runs it: the model built, saved
/// and read back, then updated with 1 % more tracks and saved. Prints
/// each phase, and a row of the summary table (a line starting `|`).
fn run_one(profile: Profile, n: usize) {
    let params = bench_params(profile);
    let no = AtomicBool::new(false);
    let dir = std::env::temp_dir().join(format!("musim-bench-model-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        fail("cannot make a scratch folder", e);
    }
    let path = dir.join("bench.model");
    let input = musim::app::model_file::input(index_of(n, profile), &params)
        .unwrap_or_else(|e| fail("input", e));
    let (model, mut timings) = musim::model::build_timed(input, &params, &|_| {}, &no)
        .unwrap_or_else(|e| fail("build", e));
    let quality = std::env::var("MUSIM_BENCH_QUALITY").as_deref() == Ok("1");
    let quality = quality.then(|| quality_of(&model));
    let t = Instant::now();
    if let Err(e) = save(&model, None, &path) {
        fail("save", e);
    }
    timings.push("save", secs(t));
    drop(model);
    println!(
        "  {n} {profile}: build {timings} · total {:.2} s · peak memory {}",
        timings.total(),
        gb(timings.0.last().and_then(|p| p.peak))
    );
    if let Some(q) = quality {
        println!("    quality: {q}");
    }
    let mut row = format!(
        "| {n} | {profile} | {} | {} | {} | {} | {} | {} | {} | **{:.1}** | {} |",
        phase(&timings, "space"),
        phase(&timings, "K-Means"),
        phase(&timings, "kNN graph"),
        phase(&timings, "PageRank"),
        phase(&timings, "t-SNE neighbours"),
        phase(&timings, "t-SNE map"),
        phase(&timings, "save"),
        timings.total(),
        gb(timings.0.last().and_then(|p| p.peak)),
    );
    if std::env::var("MUSIM_BENCH_UPDATE").as_deref() != Ok("0") {
        let added = (n / 100).max(1);
        // The stored model, read back as `train` finds it.
        let old = read(&path).unwrap_or_else(|e| fail("read the saved model", e));
        let input = musim::app::model_file::input(index_of(n + added, profile), &params)
            .unwrap_or_else(|e| fail("input", e));
        let t = Instant::now();
        let diff =
            incremental::plan(&old, &input, &params).unwrap_or_else(|why| fail("not updated", why));
        let (model, mut phases, change) = incremental::update(old, input, &diff, &|_| {}, &no)
            .unwrap_or_else(|e| fail("update", e));
        let t_save = Instant::now();
        if let Err(e) = save(&model, None, &path) {
            fail("save", e);
        }
        phases.push("save", secs(t_save));
        let total = secs(t);
        println!(
            "  {n} {profile}: update, {} tracks added (1 %): {phases} · total {total:.2} s · peak memory {}",
            change.added,
            gb(phases.0.last().and_then(|p| p.peak))
        );
        row += &format!(" **{total:.1}** ({phases}) |");
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("{row}");
}

/// The graph's recall@10 against the exact graph and the map's
/// trustworthiness@10.
fn quality_of(model: &musim::model::Model) -> String {
    let t = Instant::now();
    let exact = model.space.knn_graph(10);
    let hits: usize = model
        .graph
        .iter()
        .zip(&exact)
        .map(|(a, e)| {
            a.iter()
                .filter(|x| e.iter().any(|y| y.index == x.index))
                .count()
        })
        .sum();
    let total: usize = exact.iter().map(Vec::len).sum();
    let mut out = format!(
        "graph recall@10 {:.4} (exact graph {:.1} s)",
        hits as f64 / total.max(1) as f64,
        secs(t)
    );
    if model.map.len() == model.space.z.len() {
        out += &format!(
            " · map trustworthiness@10 {:.4}",
            musim::eval::trustworthiness(&model.space.z, &model.map, 10)
        );
    }
    out
}

/// One profile at one size in a process of its own, so that its peak
/// memory is its own (freed memory stays with a process): the bench runs
/// itself with `MUSIM_BENCH_ONE=profile:n`. Its lines are passed on; its
/// table row is returned.
fn run_alone(profile: Profile, n: usize) -> Vec<String> {
    use std::io::BufRead;
    let exe = std::env::current_exe().unwrap_or_else(|e| fail("cannot find its own executable", e));
    let mut child = std::process::Command::new(exe)
        .env("MUSIM_BENCH_ONE", format!("{profile}:{n}"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| fail("cannot run itself", e));
    let mut rows = Vec::new();
    if let Some(out) = child.stdout.take() {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if line.starts_with('|') {
                rows.push(line);
            } else {
                println!("{line}");
            }
        }
    }
    let status = child.wait();
    if !status.as_ref().is_ok_and(|s| s.success()) {
        fail(
            &format!("the {profile} run at {n} tracks"),
            format!("{status:?}"),
        );
    }
    rows
}

/// An index of `n` tracks (track `i` in group `i % 20`, labelled so), with
/// stand-in embeddings for the profiles that need them. The first `n` of
/// a larger index are the same tracks.
fn index_of(n: usize, profile: Profile) -> Index {
    library::index(n, profile.needs_embeddings())
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
        run_one(profile, n);
        return;
    }
    let threads = rayon::current_num_threads();
    let names = feature_names();
    let sizes = sizes();
    let profiles = profiles();
    println!(
        "model bench: {} values per track ({DIMS} descriptors + timbre Gaussian; deep and fused: a 1506-value stand-in embedding, 426 live), {threads} threads",
        names.len()
    );
    let mut table = Vec::new();
    for &n in &sizes {
        for &p in &profiles {
            table.extend(run_alone(p, n));
        }
    }
    println!("\nseconds per phase (peak memory of the build's process):\n");
    println!("| tracks | profile | space | K-Means | kNN graph | PageRank | t-SNE neighbours | t-SNE map | save | build total | peak RSS | update, 1 % added: total (phases) |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in table {
        println!("{row}");
    }
    if std::env::var("MUSIM_BENCH_TAIL").as_deref() != Ok("1") {
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
    let index = index_of(n, Profile::Musim);
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

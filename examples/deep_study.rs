//! Which patches and which layer of the deep embedding to use, measured on a
//! labelled library: runs the network once on every patch of every track
//! (cached), then scores `deep` and `fused` (`report --compare`'s
//! leave-one-out figures) for each patch budget and each layer, by
//! averaging the patches a budget would have run — the same patches, so the
//! same embeddings, as indexing with `MUSIM_DEEP_PATCH_BUDGET` set (up to
//! the order of a float sum).
//!
//! ```sh
//! musim-tui index --library DIR --index IDX      # the fingerprints
//! cargo run --release --example deep_study -- IDX CACHE_DIR [BUDGETS] [LAYERS]
//! ```
//! BUDGETS: comma-separated patch budgets, `all` for every patch (default
//! `1,2,3,4,6,9,12,18,all`); LAYERS: any of `pool` (mean and max pool, 1506
//! values: musim's embedding), `penultimate` (200), `taggram` (50),
//! `pool+taggram` (default `pool,penultimate`). CACHE_DIR keeps each track's
//! patch outputs (about 0.4 MB a track), so a rerun costs no network time.
//!
//! With `MUSIM_STUDY_WEIGHTS` set to comma-separated `descriptors/timbre/deep`
//! shares (e.g. `25/25/50,0/0/100`; scaled to sum to 1), `fused` is scored
//! once per weighting (for each budget and layer) instead of with the
//! product's weights; the product itself always uses its own.
//!
//! With `MUSIM_STUDY_WINDOWS` set to comma-separated variants (e.g.
//! `mean,diag,set`), each budget's patches are compared as distributions
//! instead (`study/windows.rs`; the pooled layer only).
//!
//! With `MUSIM_STUDY_PAIR=CACHE_DIR2` naming the cache a run of the study
//! made with another network (`MUSIM_DEEP_MODEL=other.onnx`, e.g. musicnn's
//! MTT model made by `tools/musicnn/convert.sh --model MTT_musicnn`), the
//! two networks are scored together instead, for each budget and layer, on the
//! tracks both caches hold: `concat` (the two embeddings side by side, each
//! dimension z-scored over the library, dead ones dropped: `deep` and
//! `fused`) and `two-mp` (`fused` with each network's embedding as its own
//! mutual-proximity distance: descriptors, timbre, first and second network
//! at 25 % each; `deep`: the two networks' proximities at 50 % each).
//! A layer written `pool/penultimate` takes the first network's `pool`
//! and the second's `penultimate`.
//!
//! With `MUSIM_STUDY_DUMP=DIR` set, no network runs: every analysed
//! track's log-mel patches, the very ones the study runs the network on,
//! are written to DIR (`mels_by_piece`; per track `<hash>.mels`: the piece
//! count (u32 LE), then per piece its patch count (u32) and its patches,
//! 187 × 96 f32 LE each), for another implementation of a network (e.g.
//! `tools/musicnn/vgg_study.py`) to run them and write a cache this study
//! reads. Such a cache may start with the marker `u32::MAX` and the four
//! per-patch widths (u32) of its arrays; the layer names then read those
//! arrays whatever their widths.
//!
//! With `MUSIM_STUDY_BOOTSTRAP` set to candidates (e.g.
//! `musim,weights:33/33/33,krecip:5/3/0.6,set:12,set:12@mean:6`), each is
//! scored against the product's `fused` (or the baseline after `@`) with a
//! 95 % interval on the difference in P@5; with `MUSIM_STUDY_BOOTSTRAP_DUMP=FILE`
//! each query's precisions are appended to FILE, and `MUSIM_STUDY_POOL=FILE
//! deep_study` (no other argument) pools the corpora dumped there
//! (`study/bootstrap.rs`; `set:`, `diag:` and `mean:` need CACHE_DIR).
//!
//! With `MUSIM_STUDY_TRACKLDA` set (`grid`, or settings such as
//! `t:0.3/64/all,f:0.3/64/all`), the embedding part of `fused` is the
//! track's patches projected by shrinkage LDA with tracks as classes
//! (`study/track_lda.rs`; the fixed form `f:` fits on the library of
//! `MUSIM_STUDY_TRACKLDA_FIT=IDX,CACHE_DIR`).
//!
//! With `MUSIM_STUDY_RERANK` set (`grid`, or settings such as
//! `krecip:20/6/0.3,snn:10/0`), the product's `fused` neighbour lists, with
//! the index's own embeddings, are re-ranked by each method instead
//! (`study/rerank.rs`); no patch is read and CACHE_DIR is not used.
//!
//! With `MUSIM_STUDY_HAND` set to comma-separated variants (e.g.
//! `product,mean,meanstd,set-d,set-t,set`), the hand-crafted part of
//! `fused` is described by each track's analysis windows instead of their
//! pooled frames (`study/hand_windows.rs`); CACHE_DIR then keeps each
//! track's per-window fingerprints (`.windows` files), and no patch is read.

#[path = "study/bootstrap.rs"]
mod bootstrap;
#[path = "study/hand_windows.rs"]
mod hand_windows;
#[path = "study/kreciprocal.rs"]
mod kreciprocal;
#[path = "study/matrix.rs"]
mod matrix;
#[path = "study/rerank.rs"]
mod rerank;
#[path = "study/track_lda.rs"]
mod track_lda;
#[path = "study/windows.rs"]
mod windows;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use musim::deep::track::{mels_by_piece, patches_by_piece, picked_patches, piece_share};
use musim::deep::PatchOutputs;
use musim::library::deep::{DeepRecord, DeepRow, DeepTable};
use musim::library::index::Index;
use musim::report::compare::{compare, compare_weighted};
use musim::similarity::{FusedWeights, Profile};
use musim::store::hash::fnv1a64;
use musim::store::paths::from_bytes;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(file) = std::env::var("MUSIM_STUDY_POOL") {
        return bootstrap::pool(Path::new(&file));
    }
    let args: Vec<String> = std::env::args().collect();
    let (Some(index_path), Some(cache)) = (args.get(1), args.get(2)) else {
        return Err("usage: deep_study INDEX CACHE_DIR [BUDGETS] [LAYERS]".into());
    };
    let budgets: Vec<usize> = args
        .get(3)
        .map_or("1,2,3,4,6,9,12,18,all", String::as_str)
        .split(',')
        .map(|b| match b {
            "all" => Ok(usize::MAX),
            n => n.parse::<usize>(),
        })
        .collect::<Result<_, _>>()?;
    let layers: Vec<String> = args
        .get(4)
        .map_or("pool,penultimate", String::as_str)
        .split(',')
        .map(str::to_string)
        .collect();
    let weightings = match std::env::var("MUSIM_STUDY_WEIGHTS") {
        Ok(list) => list
            .split(',')
            .map(|w| weights(w).map(|f| (Some(w.to_string()), f)))
            .collect::<Result<Vec<_>, _>>()?,
        Err(_) => vec![(None, FusedWeights::DEFAULT)],
    };
    let mut index =
        Index::load(Path::new(index_path))?.ok_or_else(|| format!("no index at {index_path}"))?;
    if let Ok(spec) = std::env::var("MUSIM_STUDY_RERANK") {
        return rerank::run(&index, &spec);
    }
    if let Ok(variants) = std::env::var("MUSIM_STUDY_HAND") {
        return hand_windows::run(&index, Path::new(cache), &variants);
    }
    let windows = index.header.params.windows;
    if let Ok(dir) = std::env::var("MUSIM_STUDY_DUMP") {
        return dump(&index, &windows, Path::new(&dir));
    }
    std::fs::create_dir_all(cache)?;
    let model = musim::deep::model::shared()?;

    // Every analysed track's patches, piece by piece.
    let tracks: Vec<(usize, Vec<PatchOutputs>)> = index
        .entries
        .par_iter()
        .enumerate()
        .filter(|(_, e)| e.values().is_some())
        .filter_map(|(i, e)| {
            let file = PathBuf::from(cache).join(format!("{:016x}.patches", fnv1a64(&e.path)));
            if let Ok(p) = load(&file) {
                return Some((i, p));
            }
            let path = from_bytes(&e.path);
            match patches_by_piece(&path, &windows, model.clone()) {
                Ok(p) => {
                    if let Err(err) = save(&file, &p) {
                        eprintln!("cannot cache {}: {err}", file.display());
                    }
                    Some((i, p))
                }
                Err(err) => {
                    eprintln!("{err}");
                    None
                }
            }
        })
        .collect();
    eprintln!("{} tracks with patches", tracks.len());
    if let Ok(dir) = std::env::var("MUSIM_STUDY_PAIR") {
        return pair::study(&mut index, &tracks, Path::new(&dir), &budgets, &layers);
    }

    if let Ok(spec) = std::env::var("MUSIM_STUDY_BOOTSTRAP") {
        return bootstrap::run(&index, index_path, &tracks, &spec);
    }
    if let Ok(spec) = std::env::var("MUSIM_STUDY_TRACKLDA") {
        return track_lda::run(&index, index_path, &tracks, &spec);
    }
    if let Ok(variants) = std::env::var("MUSIM_STUDY_WINDOWS") {
        return windows::run(&index, &tracks, &budgets, &variants);
    }
    let base = compare(&index, &[Profile::Seed, Profile::Musim])?;
    for s in &base {
        println!("{:<24} {}", "-", s.line());
    }
    for layer in &layers {
        for &budget in &budgets {
            index.deep = table_of(&index, &tracks, |_, pieces| {
                embedding(pieces, budget, layer)
            });
            let name = match budget {
                usize::MAX => format!("{layer} all"),
                b => format!("{layer} {b}"),
            };
            if weightings.len() == 1 && weightings[0].0.is_none() {
                for s in compare(&index, &[Profile::Deep, Profile::Fused])? {
                    println!("{name:<24} {}", s.line());
                }
                continue;
            }
            for (label, w) in &weightings {
                let label = label.as_deref().unwrap_or("default");
                for s in compare_weighted(&index, &[Profile::Fused], *w)? {
                    println!("{:<24} {}", format!("{name} {label}"), s.line());
                }
            }
        }
    }
    Ok(())
}

/// The index's deep table holding, for every track of `tracks`, its
/// embedding from `embed`.
fn table_of(
    index: &Index,
    tracks: &[(usize, Vec<PatchOutputs>)],
    embed: impl Fn(usize, &[PatchOutputs]) -> Option<Vec<f32>>,
) -> DeepTable {
    let rows = tracks.iter().filter_map(|(i, pieces)| {
        let e = index.entries.get(*i)?;
        Some(DeepRow {
            path: e.path.clone(),
            size: e.size,
            mtime_ns: e.mtime_ns,
            record: DeepRecord::Embedded {
                embedding: embed(*i, pieces)?,
                tags: Vec::new(),
                patches: 0,
                repeat_padded: false,
            },
        })
    });
    let mut table = DeepTable {
        model: "study".into(),
        rows: Vec::new(),
    };
    table.insert(rows);
    table
}

/// Writes every analysed track's log-mel patches, piece by piece, to `dir`
/// (`MUSIM_STUDY_DUMP`); files already there are kept.
fn dump(
    index: &Index,
    windows: &musim::analysis::Windows,
    dir: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let written: usize = index
        .entries
        .par_iter()
        .filter(|e| e.values().is_some())
        .map(|e| {
            let file = dir.join(format!("{:016x}.mels", fnv1a64(&e.path)));
            if file.exists() {
                return 0;
            }
            let mels = match mels_by_piece(&from_bytes(&e.path), windows) {
                Ok(m) => m,
                Err(err) => {
                    eprintln!("{err}");
                    return 0;
                }
            };
            let mut out = Vec::new();
            out.extend_from_slice(&(mels.len() as u32).to_le_bytes());
            for mel in &mels {
                out.extend_from_slice(&(mel.n_patches() as u32).to_le_bytes());
                mel.patches()
                    .iter()
                    .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
            }
            match std::fs::write(&file, out) {
                Ok(()) => 1,
                Err(err) => {
                    eprintln!("cannot write {}: {err}", file.display());
                    0
                }
            }
        })
        .sum();
    eprintln!("{written} tracks' patches written to {}", dir.display());
    Ok(())
}

/// Two networks scored together (`MUSIM_STUDY_PAIR`).
mod pair {
    use std::collections::HashMap;
    use std::path::Path;

    use musim::deep::PatchOutputs;
    use musim::library::deep::DeepTable;
    use musim::library::index::Index;
    use musim::report::compare::{compare, Labelled};
    use musim::similarity::{FusedWeights, Profile, Space};
    use musim::store::hash::fnv1a64;

    use crate::matrix::{compared, print, space_matrix, Matrix};

    type Error = Box<dyn std::error::Error>;

    /// Scores `concat` and `two-mp` for every layer and budget on the
    /// tracks that `second` (another network's cache) also holds.
    pub fn study(
        index: &mut Index,
        tracks: &[(usize, Vec<PatchOutputs>)],
        second: &Path,
        budgets: &[usize],
        layers: &[String],
    ) -> Result<(), Error> {
        let other: HashMap<usize, Vec<PatchOutputs>> = tracks
            .iter()
            .filter_map(|(i, _)| {
                let e = index.entries.get(*i)?;
                let file = second.join(format!("{:016x}.patches", fnv1a64(&e.path)));
                super::load(&file).ok().map(|p| (*i, p))
            })
            .collect();
        let tracks: Vec<(usize, Vec<PatchOutputs>)> = tracks
            .iter()
            .filter(|(i, _)| other.contains_key(i))
            .cloned()
            .collect();
        eprintln!("{} tracks in both caches", tracks.len());
        for layer in layers {
            // `pool/penultimate`: the first network's pool, the second's
            // penultimate layer.
            let (one, two) = layer.split_once('/').unwrap_or((layer, layer));
            for &budget in budgets {
                let name = match budget {
                    usize::MAX => format!("{layer} all"),
                    b => format!("{layer} {b}"),
                };
                let first = |_: usize, p: &[PatchOutputs]| super::embedding(p, budget, one);
                let second =
                    |i: usize, _: &[PatchOutputs]| super::embedding(other.get(&i)?, budget, two);
                index.deep = super::table_of(index, &tracks, first);
                print_compare(index, &format!("first {name}"))?;
                index.deep = super::table_of(index, &tracks, second);
                print_compare(index, &format!("second {name}"))?;
                index.deep = super::table_of(index, &tracks, |i, p| {
                    Some([first(i, p)?, second(i, p)?].concat())
                });
                print_compare(index, &format!("concat {name}"))?;
                let a = Distances::of(index, super::table_of(index, &tracks, first))?;
                let b = Distances::of(index, super::table_of(index, &tracks, second))?;
                let (entries, _, _) = compared(index);
                let labelled = Labelled::of(&entries);
                // The matrices' own scores of the first network: must equal
                // its `fused` line above (a check of the matrices).
                print(&labelled, &format!("matrix first {name} fused"), &a.fused);
                for (what, x, y) in [("deep", &a.deep, &b.deep), ("fused", &a.fused, &b.fused)] {
                    let mix: Matrix = x
                        .iter()
                        .zip(y)
                        .map(|(x, y)| x.iter().zip(y).map(|(x, y)| 0.5 * (x + y)).collect())
                        .collect();
                    print(&labelled, &format!("two-mp {name} {what}"), &mix);
                }
            }
        }
        Ok(())
    }

    /// `deep` and `fused` scored with the index's embeddings as they are.
    fn print_compare(index: &Index, name: &str) -> Result<(), Error> {
        for s in compare(index, &[Profile::Deep, Profile::Fused])? {
            println!("{name:<24} {}", s.line());
        }
        Ok(())
    }

    /// Distances between the compared tracks with one network's
    /// embeddings. `fused` is linear in its parts, so the mean of two
    /// networks' `fused` distances is the fusion with each network's
    /// proximity at half the deep share (and the mean of their `deep`
    /// distances, each network's proximity at 50 %).
    struct Distances {
        /// The embedding's mutual-proximity distance alone.
        deep: Matrix,
        /// `fused` with the product's weights.
        fused: Matrix,
    }

    impl Distances {
        fn of(index: &mut Index, table: DeepTable) -> Result<Distances, Error> {
            index.deep = table;
            let (_, rows, embeddings) = compared(index);
            let names = &index.header.feature_names;
            let matrix = |w: FusedWeights| -> Result<Matrix, Error> {
                let mut space = Space::build_with(Profile::Fused, names, &rows, Some(&embeddings))?;
                space.set_fused_weights(w);
                Ok(space_matrix(&space))
            };
            let deep_only = FusedWeights::new(0.0, 0.0, 1.0).ok_or("deep-only weights")?;
            Ok(Distances {
                deep: matrix(deep_only)?,
                fused: matrix(FusedWeights::DEFAULT)?,
            })
        }
    }
}

/// `descriptors/timbre/deep` shares, e.g. `25/25/50`.
fn weights(text: &str) -> Result<FusedWeights, String> {
    let parts: Vec<f64> = text
        .split('/')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("weights {text:?}: {e}"))?;
    match parts[..] {
        [d, t, e] => FusedWeights::new(d, t, e)
            .ok_or_else(|| format!("weights {text:?}: not three shares ≥ 0, one > 0")),
        _ => Err(format!("weights {text:?}: want descriptors/timbre/deep")),
    }
}

/// The mean of `layer` over the patches `budget` would have run.
fn embedding(pieces: &[PatchOutputs], budget: usize, layer: &str) -> Option<Vec<f32>> {
    let rows = patch_rows(pieces, budget, layer)?;
    let first = rows.first()?;
    let mut sum = vec![0.0f64; first.len()];
    for row in &rows {
        for (s, v) in sum.iter_mut().zip(row) {
            *s += f64::from(*v);
        }
    }
    let count = rows.len() as f64;
    Some(sum.iter().map(|s| (s / count) as f32).collect())
}

/// `layer`'s values for each of the patches `budget` would have run.
/// Whole tracks are cut into pieces of the window length, windowed ones
/// into their windows: either way the budget is shared over the recorded
/// pieces, as the indexer shares it.
fn patch_rows(pieces: &[PatchOutputs], budget: usize, layer: &str) -> Option<Vec<Vec<f32>>> {
    let n = pieces.len();
    let mut rows = Vec::new();
    for (p, out) in pieces.iter().enumerate() {
        let share = piece_share(budget, n, p);
        if share == 0 || out.patches == 0 {
            continue;
        }
        for i in picked_patches(out.patches, share) {
            rows.push(values(out, i, layer)?);
        }
    }
    Some(rows)
}

/// Patch `i`'s values of `layer`.
fn values(out: &PatchOutputs, i: usize, layer: &str) -> Option<Vec<f32>> {
    // Each array's width is its length over the patch count: musicnn's
    // 753/200/50, or another network's (a cache with widths, see `load`).
    let row = |v: &[f32]| {
        let w = v.len().checked_div(out.patches)?;
        v.get(i * w..(i + 1) * w).map(<[f32]>::to_vec)
    };
    Some(match layer {
        "pool" => [row(&out.mean_pool)?, row(&out.max_pool)?].concat(),
        "penultimate" => row(&out.penultimate)?,
        "taggram" => row(&out.taggram)?,
        "pool+taggram" => [
            row(&out.mean_pool)?,
            row(&out.max_pool)?,
            row(&out.taggram)?,
        ]
        .concat(),
        _ => return None,
    })
}

/// Cache format: per piece, the patch count (u32 LE), then max_pool,
/// mean_pool, penultimate and taggram (f32 LE).
fn save(file: &Path, pieces: &[PatchOutputs]) -> std::io::Result<()> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pieces.len() as u32).to_le_bytes());
    for p in pieces {
        out.extend_from_slice(&(p.patches as u32).to_le_bytes());
        for v in [&p.max_pool, &p.mean_pool, &p.penultimate, &p.taggram] {
            for x in v.iter() {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
    std::fs::File::create(file)?.write_all(&out)
}

/// Reads what [`save`] wrote, or a cache that starts with `u32::MAX` and
/// its four arrays' per-patch widths (another network's, written by
/// `tools/musicnn/vgg_study.py`).
fn load(file: &Path) -> std::io::Result<Vec<PatchOutputs>> {
    let mut bytes = Vec::new();
    std::fs::File::open(file)?.read_to_end(&mut bytes)?;
    let mut at = 0usize;
    let u32_at = |at: &mut usize| -> std::io::Result<u32> {
        let b = bytes
            .get(*at..*at + 4)
            .ok_or_else(|| std::io::Error::other("truncated cache file"))?;
        *at += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let pool = musim::deep::model::POOL_DIM;
    let mut widths = [
        pool,
        pool,
        musim::deep::model::PENULTIMATE_DIM,
        musim::deep::model::N_TAGS,
    ];
    let mut n = u32_at(&mut at)? as usize;
    if n == u32::MAX as usize {
        for w in &mut widths {
            *w = u32_at(&mut at)? as usize;
        }
        n = u32_at(&mut at)? as usize;
    }
    let mut pieces = Vec::with_capacity(n);
    for _ in 0..n {
        let patches = u32_at(&mut at)? as usize;
        let mut floats = |w: usize| -> std::io::Result<Vec<f32>> {
            (0..patches * w)
                .map(|_| u32_at(&mut at).map(f32::from_bits))
                .collect()
        };
        let [max_pool, mean_pool, penultimate, taggram] = widths.map(&mut floats);
        pieces.push(PatchOutputs {
            patches,
            max_pool: max_pool?,
            mean_pool: mean_pool?,
            penultimate: penultimate?,
            taggram: taggram?,
        });
    }
    Ok(pieces)
}

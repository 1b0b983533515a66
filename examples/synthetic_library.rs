//! A large library for measuring `train` without analysing audio: N tiny
//! placeholder files in 20 genre folders, and an index that already holds a
//! synthetic fingerprint and deep embedding for each (the indexer finds
//! every file unchanged and reuses them). For memory and time bars at
//! 100 000 tracks, where analysing and embedding real audio would take
//! hours.
//!
//! ```sh
//! cargo run --release --example synthetic_library -- /tmp/lib100k 100000
//! /usr/bin/time -v target/release/musim-tui train --similarity seed \
//!     --library /tmp/lib100k --index /tmp/lib100k/../lib100k.idx
//! ```
//! The index is written to `DIR.idx` beside the folder.
//!
//! `synthetic_library --embed INDEX` gives every analysed track of an
//! existing index the same stand-in embedding, made from its fingerprint,
//! stamped with the track's file and the current embedding identity (so
//! that `train` under `fused`, the default, builds from it and an `index`
//! run keeps the rows). For an index whose embeddings are missing or carry
//! an older identity; work on a copy.

use std::path::{Path, PathBuf};

use musim::features::fingerprint::feature_names;
use musim::library::deep::{DeepRecord, DeepRow};
use musim::library::index::{Entry, Index, Outcome};
use musim::store::paths::to_bytes;

#[path = "../benches/support/library.rs"]
mod library;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--embed") {
        let Some(index) = args.get(2) else {
            return Err("usage: synthetic_library --embed INDEX".into());
        };
        return embed(Path::new(index));
    }
    let (Some(dir), Some(n)) = (
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        return Err("usage: synthetic_library DIR N | --embed INDEX".into());
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    let root = dir.canonicalize()?;
    let index_path = PathBuf::from(format!("{}.idx", root.display()));
    let mut rows = library::Rows::new();
    let mut index = Index::empty(&root);
    index.deep.model = identity()?;
    for i in 0..n {
        let g = i % 20;
        let folder = root.join(format!("genre{g:02}"));
        std::fs::create_dir_all(&folder)?;
        let path = folder.join(format!("{i:06}.wav"));
        if !path.exists() {
            std::fs::write(&path, b"x")?;
        }
        let meta = std::fs::metadata(&path)?;
        let row = rows.row(g);
        let embedding = library::embedding(&row);
        let entry = Entry {
            path: to_bytes(&path),
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
            label: Some(format!("genre{g:02}")),
            tags: None,
            outcome: Outcome::Analysed {
                duration_s: 30.0,
                values: row,
            },
        };
        index.deep.rows.push(stand_in(&entry, embedding));
        index.entries.push(entry);
    }
    assert_eq!(index.header.feature_names.len(), feature_names().len());
    index.entries.sort_by(|a, b| a.path.cmp(&b.path));
    index.deep.rows.sort_by(|a, b| a.path.cmp(&b.path));
    index.save(&index_path)?;
    println!("{n} tracks in {}; index {}", show(&root), show(&index_path));
    Ok(())
}

/// A row holding `embedding` for `entry`'s file as it is.
fn stand_in(entry: &Entry, embedding: Vec<f32>) -> DeepRow {
    DeepRow {
        path: entry.path.clone(),
        size: entry.size,
        mtime_ns: entry.mtime_ns,
        record: DeepRecord::Embedded {
            embedding,
            tags: vec![0.0; 50],
            patches: 10,
            repeat_padded: false,
        },
    }
}

/// `--embed INDEX`: every analysed track of the index at `path` gets the
/// stand-in embedding of its fingerprint; the index is saved in place.
fn embed(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let Some(mut index) = Index::load(path)? else {
        return Err(format!("no index at {}", show(path)).into());
    };
    let rows: Vec<DeepRow> = index
        .entries
        .iter()
        .filter_map(|e| {
            let values = e.values().filter(|v| v.len() >= library::DIMS)?;
            Some(stand_in(e, library::embedding(values)))
        })
        .collect();
    let n = rows.len();
    index.deep.model = identity()?;
    index.deep.rows = rows;
    index.deep.rows.sort_by(|a, b| a.path.cmp(&b.path));
    index.save(path)?;
    println!(
        "{n} of {} tracks given stand-in embeddings in {}",
        index.entries.len(),
        show(path)
    );
    Ok(())
}

fn show(p: &Path) -> String {
    musim::store::paths::show(p)
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    musim::library::fs::convert(meta).mtime_ns
}

/// The identity the embedding pass expects, so it reuses the rows.
#[cfg(feature = "embeddings")]
fn identity() -> Result<String, Box<dyn std::error::Error>> {
    let model = musim::deep::model::shared()?;
    Ok(musim::deep::track::identity(&model))
}

#[cfg(not(feature = "embeddings"))]
fn identity() -> Result<String, Box<dyn std::error::Error>> {
    Ok(String::new())
}

//! Lists of tracks the explorer can write and play: a track and its
//! neighbours, a cluster's members, the path between two marked tracks,
//! the marked tracks, a query's similar tracks. The path is found along the
//! model's similarity graph (as `musim-tui path` does); a list is written
//! as an extended M3U under a new name, never over an existing file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::model::graph::chain;
use crate::model::Model;
use crate::store::atomic::{write_new, WriteError};

/// What a list is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    /// The selected track, then its nearest tracks.
    Neighbours,
    /// A cluster's members (representatives first).
    Cluster(usize),
    /// The path between two marked tracks.
    Path,
    /// The marked tracks, in the order they were marked.
    Marked,
    /// The query's similar tracks.
    Query,
}

impl ListKind {
    /// The list's name in messages and file names ("path", "cluster-3").
    pub fn slug(&self) -> String {
        match self {
            ListKind::Neighbours => "neighbours".into(),
            ListKind::Cluster(c) => format!("cluster-{c}"),
            ListKind::Path => "path".into(),
            ListKind::Marked => "marked".into(),
            ListKind::Query => "query".into(),
        }
    }
}

/// A list of library rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackList {
    /// What it is.
    pub kind: ListKind,
    /// Library rows, in order.
    pub rows: Vec<usize>,
}

/// One step of a path: a library row and its similarity to the step before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathStep {
    /// Library row.
    pub row: usize,
    /// Similarity to the previous step (None for the first).
    pub similarity: Option<f32>,
}

/// The cheapest path from row `from` to row `to` along the similarity
/// graph (each step's cost its squared cosine distance, as `musim-tui
/// path`); None when the graph does not connect them.
pub fn path_between(model: &Model, from: usize, to: usize) -> Option<Vec<PathStep>> {
    if from >= model.len() || to >= model.len() {
        return None;
    }
    let rows = if from == to {
        vec![from]
    } else {
        chain(&model.graph, &[], from, to)?
    };
    let space = &model.space;
    Some(
        rows.iter()
            .enumerate()
            .map(|(i, &row)| PathStep {
                row,
                similarity: i
                    .checked_sub(1)
                    .and_then(|p| rows.get(p))
                    .map(|&prev| space.similarity(&space.row_point(prev), row)),
            })
            .collect(),
    )
}

/// Most numbered names tried before giving up on a folder.
const MAX_NAMES: usize = 1000;

/// Write `list` as an extended M3U in `dir`, as `musim-<kind>.m3u`, or
/// `musim-<kind>-2.m3u`, `-3`… when taken: an existing file is never
/// replaced. Returns the file written.
pub fn write_list(model: &Model, list: &TrackList, dir: &Path) -> Result<PathBuf, WriteError> {
    let text = crate::query::text::m3u(list.rows.iter().filter_map(|&r| model.tracks.get(r)));
    let slug = list.kind.slug();
    let mut last = None;
    for n in 1..=MAX_NAMES {
        let name = if n == 1 {
            format!("musim-{slug}.m3u")
        } else {
            format!("musim-{slug}-{n}.m3u")
        };
        let path = dir.join(name);
        match write_new(&path, |w: &mut dyn Write| w.write_all(text.as_bytes())) {
            Ok(()) => return Ok(path),
            Err(e @ WriteError::Exists { .. }) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or(WriteError::Exists {
        path: dir.join(format!("musim-{slug}.m3u")),
    }))
}

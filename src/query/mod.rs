//! Query: a file (or a downloaded URL) against a model — predicted cluster
//! and genre, the cluster's archetype, the most similar tracks, a position
//! on the map and which feature groups make them similar.

use crate::store::stamp::Stamped;
use std::path::{Path, PathBuf};

use serde::Serialize;

mod new_file;
pub mod path;
mod rows;
pub mod text;

pub use new_file::{query_new_file, query_values_in};
pub use rows::Rows;
use std::borrow::Cow;

use crate::analysis::analyze_file_with;
use crate::audio::AudioError;
use crate::model::archetype::Archetype;
use crate::model::graph::Neighbour;
use crate::model::groups::{agreement, Group};
use crate::model::kmeans::nearest_centroid;
use crate::model::{Model, Track};
use crate::similarity::{Point, Space, SpaceError};
use crate::store::paths::{lossy, show, to_bytes};
use crate::tags::TrackInfo;

/// Neighbours a query reports and votes with, unless told otherwise (the
/// command line's `-k` and the explorer share it).
pub const DEFAULT_K: usize = 10;

/// Why a query could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The path does not exist.
    #[error("query file {} does not exist", show(.0))]
    NotFound(PathBuf),
    /// The path is a folder.
    #[error("query {} is a folder, not an audio file", show(.0))]
    IsFolder(PathBuf),
    /// The file could not be analysed.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The URL could not be fetched.
    #[error(transparent)]
    Youtube(#[from] crate::youtube::YoutubeError),
    /// The file's fingerprint has another shape than the library's (the
    /// model was built by another musim version).
    #[error("the model's fingerprints have {model} dimensions but the query has {query}; rebuild the model with `musim-tui train`")]
    Dimensions {
        /// Model dimensions.
        model: usize,
        /// Query dimensions.
        query: usize,
    },
    /// The deep embedding the profile needs could not be computed.
    #[error("{0}")]
    Embedding(String),
    /// The stored model could not be read (a damaged model file).
    #[error("{0}")]
    Model(String),
}

/// Tags a query shares with its neighbours: per tag, the lower of the
/// query's score and its neighbours' mean score (both must have it), the 3
/// highest of at least 0.05, strongest first. Empty when either side has no
/// tag scores.
pub fn shared_tags(query: &[f32], neighbours: &[&[f32]]) -> Vec<(String, f32)> {
    let rows: Vec<&[f32]> = neighbours
        .iter()
        .copied()
        .filter(|t| !t.is_empty() && t.len() == query.len())
        .collect();
    if query.is_empty() || rows.is_empty() {
        return Vec::new();
    }
    let shared: Vec<f32> = query
        .iter()
        .enumerate()
        .map(|(j, &q)| {
            let mean = rows.iter().map(|r| r[j]).sum::<f32>() / rows.len() as f32;
            q.min(mean)
        })
        .collect();
    let mut t = top_tags(&shared);
    t.retain(|(_, v)| *v >= 0.05);
    t.truncate(3);
    t
}

/// Tags shown for a query: the 5 strongest of the deep model's 50, in order.
pub fn top_tags(scores: &[f32]) -> Vec<(String, f32)> {
    #[cfg(feature = "embeddings")]
    {
        let names = crate::deep::tag_names();
        let mut t: Vec<(String, f32)> = names
            .iter()
            .zip(scores)
            .map(|(n, &s)| (n.to_string(), s))
            .collect();
        t.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        t.truncate(5);
        t
    }
    #[cfg(not(feature = "embeddings"))]
    {
        let _ = scores;
        Vec::new()
    }
}

/// A similar track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Similar {
    /// Row in the model.
    pub track: u32,
    /// Path (text data: show it through [`crate::store::text::safe`]).
    pub path: String,
    /// Name and tags (`name`, `title`, `artist`, `album`, `genre`, `year`
    /// beside `path` in JSON).
    #[serde(flatten)]
    pub info: TrackInfo,
    /// Genre label.
    pub label: Option<String>,
    /// Cosine similarity on z-scored fingerprints, −1..1.
    pub similarity: f32,
    /// Its cluster.
    pub cluster: u32,
    /// Paths of identical copies in the library, shown once with it.
    pub copies: Vec<String>,
}

/// The predicted genre.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenreGuess {
    /// Winning genre.
    pub genre: String,
    /// Its share of the vote, 0..1.
    pub confidence: f64,
    /// Every genre's share of the vote, highest first.
    pub votes: Vec<(String, f64)>,
}

/// Agreement of the query with its neighbours in one feature group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Why {
    /// The group.
    pub group: Group,
    /// Human name of the group.
    pub name: &'static str,
    /// 1 = identical, 0 ≈ two random tracks.
    pub agreement: f64,
}

/// The predicted cluster and its genre mix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterInfo {
    /// Cluster id.
    pub id: u32,
    /// Majority genre of the cluster and its share, if labelled.
    pub majority: Option<(String, f64)>,
    /// The cluster's archetype.
    pub archetype: Archetype,
    /// Representative tracks (paths).
    pub representatives: Vec<String>,
}

/// Everything a query reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    /// What was queried (path or URL). The text fields of a result are
    /// data, as the files and yt-dlp gave them (invalid UTF-8 replaced);
    /// [`text::render`] makes them safe for a terminal.
    pub source: String,
    /// Title (for a URL).
    pub title: Option<String>,
    /// The queried track's name and tags (its file's, or the library
    /// track's).
    pub track: TrackInfo,
    /// Duration of the analysed audio, seconds.
    pub duration_s: f64,
    /// Row of the query in the model when it is a library track.
    pub library_track: Option<u32>,
    /// Predicted cluster.
    pub cluster: ClusterInfo,
    /// Predicted genre (weighted vote of the neighbours), if the library is labelled.
    pub genre: Option<GenreGuess>,
    /// Most similar tracks, best first.
    pub similar: Vec<Similar>,
    /// Position on the map (weighted mean of the neighbours' positions).
    pub map: [f32; 2],
    /// Feature groups by agreement with the neighbours, best first.
    pub why: Vec<Why>,
    /// Decoder warnings (e.g. truncation).
    pub warnings: Vec<String>,
    /// The deep model's strongest MSD tags ("rock 0.71"), when known.
    pub tags: Vec<(String, f32)>,
    /// Tags it shares with its neighbours (see [`shared_tags`]): what the
    /// deep profile, whose dimensions have no names, can say about why.
    pub shared_tags: Vec<(String, f32)>,
}

/// Check that `path` can be a query (exists, is not a folder) before any
/// expensive work.
pub fn check_file(path: &Path) -> Result<std::fs::Metadata, QueryError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => QueryError::NotFound(path.to_path_buf()),
        _ => QueryError::Audio(AudioError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    })?;
    if meta.is_dir() {
        return Err(QueryError::IsFolder(path.to_path_buf()));
    }
    Ok(meta)
}

/// Query the file at `path` for its `k` most similar tracks. A library
/// track that has not changed since it was indexed is not re-analysed.
pub fn query_file(model: &Model, path: &Path, k: usize) -> Result<QueryResult, QueryError> {
    let meta = crate::library::fs::convert(&check_file(path)?);
    let own = library_row(model, path);
    if let Some(i) = own {
        let t = &model.tracks[i];
        if t.same_stamp(&meta) {
            let mut r = query_row(model, i, k);
            r.source = lossy(path);
            r.duration_s = t.duration_s;
            r.track = t.info();
            return Ok(r);
        }
    }
    let (p, a, tags) = analyse_point(model, path)?;
    let mut r = query_point(model, &p, own, k);
    let Ok(()) = describe_file(&mut r, model, path, a, &tags);
    Ok(r)
}

/// Fills in what a result says of an analysed file at `path` (not a
/// library track's row): its name and tags, duration, warnings, its deep
/// tag scores `tags` and those it shares with its neighbours.
fn describe_file<R: Rows>(
    r: &mut QueryResult,
    rows: &R,
    path: &Path,
    a: crate::analysis::TrackAnalysis,
    tags: &[f32],
) -> Result<(), R::Error> {
    r.source = lossy(path);
    r.track = crate::tags::read(path)
        .unwrap_or_default()
        .info(&to_bytes(path));
    r.duration_s = a.duration_s;
    r.warnings = a.warnings;
    r.tags = top_tags(tags);
    let near = r
        .similar
        .iter()
        .map(|s| rows.track(s.track as usize))
        .collect::<Result<Vec<_>, R::Error>>()?;
    let near: Vec<&[f32]> = near.iter().map(|t| t.tags.as_slice()).collect();
    r.shared_tags = shared_tags(tags, &near);
    Ok(())
}

/// The model row of the library track at `path` (compared canonically).
pub fn library_row(model: &Model, path: &Path) -> Option<usize> {
    let Ok(row) = model.row_of(&canonical(path));
    row
}

/// `path` as the model stores library paths (canonical, raw bytes).
fn canonical(path: &Path) -> Vec<u8> {
    to_bytes(&std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The row and track of the file at `path` (checked to be a file) in
/// `rows`, if it is a library track, and whether it is unchanged since it
/// was indexed.
fn library_track<'a, R: Rows>(
    rows: &'a R,
    path: &Path,
) -> Result<Option<(usize, Cow<'a, Track>, bool)>, QueryError> {
    let meta = crate::library::fs::convert(&check_file(path)?);
    let stored = |e: R::Error| QueryError::Model(e.to_string());
    let Some(i) = rows.row_of(&canonical(path)).map_err(stored)? else {
        return Ok(None);
    };
    let t = rows.track(i).map_err(stored)?;
    let same = t.same_stamp(&meta);
    Ok(Some((i, t, same)))
}

/// Query the file at `path` when it is a library track unchanged since it
/// was indexed and the stored graph answers for it (see [`query_row_in`]):
/// read from `rows` in place, no analysis and no comparison. `Ok(None)`:
/// not so (the whole model is needed).
pub fn query_library_track<R: Rows>(
    rows: &R,
    path: &Path,
    k: usize,
) -> Result<Option<QueryResult>, QueryError> {
    let stored = |e: R::Error| QueryError::Model(e.to_string());
    let Some((i, t, true)) = library_track(rows, path)? else {
        return Ok(None);
    };
    let Some(near) = graph_neighbours(rows, i, k).map_err(stored)? else {
        return Ok(None);
    };
    let z = rows.z(i).map_err(stored)?;
    let mut r = result(rows, &z, Some(i), near).map_err(stored)?;
    r.source = lossy(path);
    r.duration_s = t.duration_s;
    r.track = t.info();
    Ok(Some(r))
}

/// Analyse the file at `path` (over the same windows as the library) and
/// place it in the model's similarity space (the analysis is returned for
/// its duration and warnings).
pub fn analyse_point(
    model: &Model,
    path: &Path,
) -> Result<(Point, crate::analysis::TrackAnalysis, Vec<f32>), QueryError> {
    let (a, embedding, tags) = analyse(path, &model.windows, model.space.profile)?;
    let p = place(&model.space, &a.fingerprint.values, embedding.as_deref())?;
    Ok((p, a, tags))
}

/// A file's analysis, deep embedding (when the profile needs it) and tag
/// scores.
type Analysed = (crate::analysis::TrackAnalysis, Option<Vec<f32>>, Vec<f32>);

/// Analyse the file at `path` over `windows`, with its deep embedding and
/// tag scores when `profile` needs them.
fn analyse(
    path: &Path,
    windows: &crate::analysis::Windows,
    profile: crate::similarity::Profile,
) -> Result<Analysed, QueryError> {
    if profile.needs_embeddings() {
        let (a, e, t) = analyse_and_embed(path, windows)?;
        Ok((a, Some(e), t))
    } else {
        Ok((analyze_file_with(path, windows)?, None, Vec::new()))
    }
}

/// A new track of fingerprint `values` (and deep `embedding`) placed in
/// `space`.
fn place(space: &Space, values: &[f32], embedding: Option<&[f32]>) -> Result<Point, QueryError> {
    space.point_with(values, embedding).map_err(|e| match e {
        SpaceError::Dimensions { want, got } => QueryError::Dimensions {
            model: want,
            query: got,
        },
        e @ SpaceError::NoEmbeddings(..) => QueryError::Embedding(e.to_string()),
    })
}

/// The analysis, deep embedding and tag scores of a query file, from one
/// decoding.
#[cfg(feature = "embeddings")]
fn analyse_and_embed(
    path: &Path,
    windows: &crate::analysis::Windows,
) -> Result<(crate::analysis::TrackAnalysis, Vec<f32>, Vec<f32>), QueryError> {
    let model = crate::deep::model::shared().map_err(|e| QueryError::Embedding(e.to_string()))?;
    let (a, deep) = crate::deep::track::analyze_and_embed(path, windows, model)?;
    match deep {
        Ok(d) => Ok((a, d.embedding, d.tags)),
        Err(crate::deep::EmbedError::Audio(e)) => Err(e.into()),
        Err(e) => Err(QueryError::Embedding(e.to_string())),
    }
}

/// Without the `embeddings` feature a deep model cannot be queried.
#[cfg(not(feature = "embeddings"))]
fn analyse_and_embed(
    _path: &Path,
    _windows: &crate::analysis::Windows,
) -> Result<(crate::analysis::TrackAnalysis, Vec<f32>, Vec<f32>), QueryError> {
    Err(QueryError::Embedding(
        "this model uses deep embeddings, and this musim was built without the `embeddings` feature"
            .into(),
    ))
}

/// Fetch `url` with yt-dlp and query the downloaded audio. The download
/// is returned too: its temporary folder lives until it is dropped (so the
/// audio can still be previewed).
pub fn query_url(
    model: &Model,
    url: &str,
    k: usize,
    opts: &crate::youtube::FetchOptions,
) -> Result<(QueryResult, crate::youtube::Download), QueryError> {
    let download = crate::youtube::fetch(url, opts)?;
    let mut r = query_file(model, &download.audio, k)?;
    r.source = download.url.clone();
    r.title = download.title.clone();
    // A download without tags is named by its title, not its temp file.
    if let (None, Some(t)) = (&r.track.title, &download.title) {
        r.track.name = t.clone();
    }
    Ok((r, download))
}

/// The `k` most similar distinct tracks to the point `p`, leaving out
/// row `own` (the query itself) and folding identical copies.
pub fn neighbours(
    model: &Model,
    p: &Point,
    own: Option<usize>,
    k: usize,
) -> Vec<(Neighbour, Vec<u32>)> {
    neighbours_in(&model.space, p, own, k)
}

/// [`neighbours`] among the tracks of `space`.
fn neighbours_in(space: &Space, p: &Point, own: Option<usize>, k: usize) -> Vec<Near> {
    let z = &space.z;
    let n = space.len();
    let mut fetch = (4 * k + 16).min(n);
    loop {
        let cand = space.top_k(p, fetch, |j| Some(j) == own);
        let mut out: Vec<(Neighbour, Vec<u32>)> = Vec::new();
        for c in &cand {
            let row = &z[c.index as usize];
            let full = out.len() >= k;
            match out.iter_mut().find(|(o, _)| z[o.index as usize] == *row) {
                Some((_, copies)) => copies.push(c.index),
                None if !full => out.push((*c, Vec::new())),
                None => {}
            }
        }
        if out.len() >= k || fetch >= n {
            return out;
        }
        fetch = n;
    }
}

/// A neighbour and its identical copies' rows.
type Near = (Neighbour, Vec<u32>);

/// The `k` most similar distinct tracks to library track `i` from the
/// stored similarity graph, when the model is large enough for its graph
/// to be NN-descent's (below [`crate::model::ModelParams::exact_below`]
/// tracks every pair is compared here as in the graph) and the graph
/// holds `k` distinct tracks. Copies are the graph's only: beyond its
/// `neighbours` entries they are not looked for. `None`: compare all.
fn graph_neighbours<R: Rows>(rows: &R, i: usize, k: usize) -> Result<Option<Vec<Near>>, R::Error> {
    if rows.len() < rows.exact_below() || i >= rows.len() {
        return Ok(None);
    }
    let mut out: Vec<(Neighbour, Vec<u32>, Cow<[f32]>)> = Vec::new();
    for nb in rows.graph(i)?.iter() {
        let row = rows.z(nb.index as usize)?;
        let full = out.len() >= k;
        match out.iter_mut().find(|(_, _, z)| *z == row) {
            Some((_, copies, _)) => copies.push(nb.index),
            None if !full => out.push((*nb, Vec::new(), row)),
            None => {}
        }
    }
    Ok((out.len() >= k).then(|| out.into_iter().map(|(n, c, _)| (n, c)).collect()))
}

/// Query with library track `i`: its neighbours from the stored graph
/// when that answers (no similarity computed: [`graph_neighbours`]),
/// else compared with every track as [`query_point`] does.
pub fn query_row(model: &Model, i: usize, k: usize) -> QueryResult {
    let Ok(near) = graph_neighbours(model, i, k);
    match near {
        Some(near) => {
            let Ok(r) = result(model, &model.space.z[i], Some(i), near);
            r
        }
        None => query_point(model, &model.space.row_point(i), Some(i), k),
    }
}

/// Query with a track already placed in the space (see [`query_file`]).
pub fn query_point(model: &Model, p: &Point, own: Option<usize>, k: usize) -> QueryResult {
    let Ok(r) = result(model, &p.z, own, neighbours(model, p, own, k));
    r
}

/// What is reported of a track at `z` (library row `own`, if it is one)
/// whose nearest tracks are `near`.
fn result<R: Rows>(
    rows: &R,
    z: &[f32],
    own: Option<usize>,
    near: Vec<(Neighbour, Vec<u32>)>,
) -> Result<QueryResult, R::Error> {
    let cluster_id = match own {
        Some(i) => rows.assignment(i)?,
        None => nearest_centroid(
            &rows
                .clusters()
                .iter()
                .map(|c| c.centroid.clone())
                .collect::<Vec<_>>(),
            z,
        ) as u32,
    };
    let cluster = rows.clusters().get(cluster_id as usize);
    let archetype = cluster.map_or_else(|| Archetype::of([]), |c| c.archetype.clone());
    let representatives = match cluster {
        Some(c) => c
            .representatives()
            .iter()
            .map(|&i| Ok(rows.track(i as usize)?.path_text()))
            .collect::<Result<_, R::Error>>()?,
        None => Vec::new(),
    };
    let cluster = ClusterInfo {
        id: cluster_id,
        majority: archetype.majority().map(|(g, s)| (g.to_string(), s)),
        representatives,
        archetype,
    };
    let tracks = near
        .iter()
        .map(|(nb, _)| rows.track(nb.index as usize))
        .collect::<Result<Vec<_>, R::Error>>()?;
    let mut similar: Vec<Similar> = Vec::with_capacity(near.len());
    for ((nb, copies), t) in near.iter().zip(&tracks) {
        similar.push(Similar {
            track: nb.index,
            path: t.path_text(),
            info: t.info(),
            label: t.label.clone(),
            similarity: nb.similarity,
            cluster: rows.assignment(nb.index as usize)?,
            copies: copies
                .iter()
                .map(|&c| Ok(rows.track(c as usize)?.path_text()))
                .collect::<Result<_, R::Error>>()?,
        });
    }
    let near_z = near
        .iter()
        .map(|(nb, _)| rows.z(nb.index as usize))
        .collect::<Result<Vec<_>, R::Error>>()?;
    let near_z: Vec<&[f32]> = near_z.iter().map(|z| &z[..]).collect();
    let why = agreement(rows.feature_names(), z, &near_z)
        .into_iter()
        .map(|(group, agreement)| Why {
            group,
            name: group.label(),
            agreement,
        })
        .collect();
    let own_track = own.map(|i| rows.track(i)).transpose()?;
    let map = match own {
        Some(i) => rows.map(i)?,
        None => {
            let places = near
                .iter()
                .map(|(nb, _)| Ok((rows.map(nb.index as usize)?, nb.similarity)))
                .collect::<Result<Vec<_>, R::Error>>()?;
            map_position(&places)
        }
    };
    let neighbour_tags: Vec<&[f32]> = tracks.iter().map(|t| t.tags.as_slice()).collect();
    Ok(QueryResult {
        track: own_track.as_deref().map(Track::info).unwrap_or_default(),
        source: String::new(),
        title: None,
        duration_s: 0.0,
        library_track: own.map(|i| i as u32),
        cluster,
        genre: vote(
            near.iter()
                .zip(&tracks)
                .map(|((nb, _), t)| (t.label.as_deref(), nb.similarity)),
        ),
        map,
        similar,
        why,
        warnings: Vec::new(),
        tags: own_track
            .as_deref()
            .map(|t| top_tags(&t.tags))
            .unwrap_or_default(),
        shared_tags: own_track
            .as_deref()
            .map(|t| shared_tags(&t.tags, &neighbour_tags))
            .unwrap_or_default(),
    })
}

/// Weighted vote of the labelled neighbours, given as (label, similarity)
/// (weight = similarity, floored at a small positive value so a vote of
/// dissimilar tracks still counts).
fn vote<'a>(near: impl IntoIterator<Item = (Option<&'a str>, f32)>) -> Option<GenreGuess> {
    let mut tally: Vec<(String, f64)> = Vec::new();
    for (label, similarity) in near {
        let Some(label) = label else {
            continue;
        };
        let w = f64::from(similarity).max(0.01);
        match tally.iter_mut().find(|(g, _)| g == label) {
            Some(t) => t.1 += w,
            None => tally.push((label.to_string(), w)),
        }
    }
    let total: f64 = tally.iter().map(|t| t.1).sum();
    if total <= 0.0 {
        return None;
    }
    tally.iter_mut().for_each(|t| t.1 /= total);
    tally.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let (genre, confidence) = tally.first().cloned()?;
    Some(GenreGuess {
        genre,
        confidence,
        votes: tally,
    })
}

/// The predicted genre of every track of the model (rows as in
/// `model.tracks`): the weighted vote of its neighbours in the similarity
/// graph, which never holds the track itself, so a labelled track's
/// prediction is leave-one-out. `None` when no neighbour is labelled.
pub fn predicted_genres(model: &Model) -> Vec<Option<GenreGuess>> {
    let k = model.params.neighbours.max(1);
    (0..model.len())
        .map(|i| {
            let mut near: Vec<Neighbour> = model.graph.get(i).cloned().unwrap_or_default();
            near.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
            near.truncate(k);
            vote(near.iter().map(|n| {
                let label = model
                    .tracks
                    .get(n.index as usize)
                    .and_then(|t| t.label.as_deref());
                (label, n.similarity)
            }))
        })
        .collect()
}

/// Weighted mean of the neighbours' map positions, given with their
/// similarities (weights: squared positive similarity, so the closest
/// dominate).
fn map_position(near: &[([f32; 2], f32)]) -> [f32; 2] {
    let (mut x, mut y, mut w) = (0.0f64, 0.0f64, 0.0f64);
    for &(p, similarity) in near {
        let wi = f64::from(similarity.max(0.0)).powi(2) + 1e-9;
        x += wi * f64::from(p[0]);
        y += wi * f64::from(p[1]);
        w += wi;
    }
    if w > 0.0 {
        [(x / w) as f32, (y / w) as f32]
    } else {
        [0.0, 0.0]
    }
}

#[cfg(all(test, feature = "embeddings"))]
mod tests {
    use super::*;

    /// A tag is shared when both the query and its neighbours score it:
    /// the lower of the two counts, and faint ones are left out.
    #[test]
    fn shared_tags_need_both_sides() {
        let names = crate::deep::tag_names();
        let mut q = vec![0.0f32; names.len()];
        let (mut a, mut b) = (q.clone(), q.clone());
        q[0] = 0.7; // rock: strong in the query, faint in the neighbours
        a[0] = 0.02;
        q[9] = 0.5; // jazz: both
        a[9] = 0.4;
        b[9] = 0.2;
        q[3] = 0.2; // indie: both, the query lower
        a[3] = 0.2;
        b[3] = 0.3;
        b[1] = 0.9; // pop: the neighbours only
        let got = shared_tags(&q, &[&a, &b]);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["jazz", "indie"], "{got:?}");
        assert!((got[0].1 - 0.3).abs() < 1e-6 && (got[1].1 - 0.2).abs() < 1e-6);
        // No tags on either side: nothing to say.
        assert!(shared_tags(&[], &[&a]).is_empty());
        assert!(shared_tags(&q, &[&[]]).is_empty());
    }
}

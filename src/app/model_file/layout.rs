//! How a [`Model`] is laid out in the model file's sections
//! ([`crate::store::sections`]): the small parts in one postcard section
//! read on its own (parameters, identity, clusters, the space's
//! statistics), the per-track arrays flat and little-endian so that
//! loading them is a copy, not a decode.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::{half, quant, IndexStamp};
use crate::analysis::Windows;
use crate::model::{Cluster, KChoice, Model, ModelParams, Track};
use crate::similarity::proximity::Spread;
use crate::similarity::stored::{Arrays, Head};
use crate::similarity::{Neighbour, Space};
use crate::store::framed::FrameError;
use crate::store::sections::{Sections, Tag, Writer};
use crate::tags::Tags;

pub(super) const META: &Tag = b"meta\0\0\0\0";
pub(super) const PATHS: &Tag = b"paths\0\0\0";
pub(super) const PATH_OFFSETS: &Tag = b"pathoffs";
pub(super) const TRACKS: &Tag = b"tracks\0\0";
pub(super) const TRACK_OFFSETS: &Tag = b"trackoff";
pub(super) const TAG_OFFSETS: &Tag = b"tagoffs\0";
pub(super) const TAG_SCORES: &Tag = b"tagscore";
pub(super) const ASSIGNMENT: &Tag = b"assign\0\0";
pub(super) const MAP: &Tag = b"map\0\0\0\0\0";
pub(super) const PAGERANK: &Tag = b"pagerank";
pub(super) const GRAPH_OFFSETS: &Tag = b"graphoff";
pub(super) const GRAPH: &Tag = b"graph\0\0\0";
pub(super) const Z: &Tag = b"z\0\0\0\0\0\0\0";
pub(super) const TIMBRE: &Tag = b"timbre\0\0";
pub(super) const SPREADS: &Tag = b"spreads\0";
pub(super) const DEEP: &Tag = b"deep\0\0\0\0";
pub(super) const DEEP_SPREADS: &Tag = b"deepsprd";

/// The model's small parts: what is read without the per-track arrays.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    /// Identity of the index content and parameters.
    pub key: u64,
    /// Parameters used.
    pub params: ModelParams,
    /// The index file the model was built from, as it was on disk.
    pub stamp: Option<IndexStamp>,
    /// [`crate::model::BUILD_REVISION`] of the musim that built it.
    pub revision: u32,
    pub(super) feature_names: Vec<String>,
    pub(super) windows: Windows,
    k_choice: KChoice,
    genres: Vec<String>,
    pub(super) clusters: Vec<Cluster>,
    pub(super) tracks: u64,
    pub(super) space: Head,
    /// Number and length of the rows of `z`, of the timbre Gaussians, of
    /// the unit embeddings.
    pub(super) z_rows: (u64, u32),
    /// The scale of each column of `z` (stored in 8 bits,
    /// [`super::quant`]) and of the timbre Gaussians (a power of two,
    /// stored at half precision, [`super::half`]).
    pub(super) z_scales: Vec<f32>,
    pub(super) timbre_scales: Vec<f32>,
    pub(super) timbre_rows: (u64, u32),
    pub(super) deep_rows: (u64, u32),
}

/// A track without its path and tag scores (stored flat beside), each
/// encoded on its own so that one can be read without the others.
type TrackHead = (u64, i64, Option<String>, f64, Tags);
/// [`TrackHead`] borrowed from a track, for writing.
type TrackHeadRef<'a> = (u64, i64, &'a Option<String>, f64, &'a Tags);

/// Write `model` (built from the index file of `stamp`) to `w`.
pub fn write(model: &Model, stamp: Option<IndexStamp>, w: &mut dyn Write) -> io::Result<()> {
    let space = &model.space;
    let meta = Meta {
        key: model.key,
        params: model.params,
        stamp,
        revision: crate::model::BUILD_REVISION,
        feature_names: model.feature_names.clone(),
        windows: model.windows,
        k_choice: model.k_choice.clone(),
        genres: model.genres.clone(),
        clusters: model.clusters.clone(),
        tracks: model.len() as u64,
        space: space.head(),
        z_rows: shape(&space.z)?,
        z_scales: quant::scales(&space.z, shape(&space.z)?.1 as usize),
        timbre_scales: half::scales(space.timbre(), shape(space.timbre())?.1 as usize),
        timbre_rows: shape(space.timbre())?,
        deep_rows: shape(space.deep_rows().map_or(&[], |(u, _)| u))?,
    };
    let mut out = Writer::new(w, super::MAGIC, super::FORMAT_VERSION)?;
    out.section(
        *META,
        &postcard::to_allocvec(&meta).map_err(io::Error::other)?,
    )?;
    let meta = &meta;
    let mut heads = Vec::new();
    let mut head_offsets = vec![0u64];
    for t in &model.tracks {
        let head: TrackHeadRef = (t.size, t.mtime_ns, &t.label, t.duration_s, &t.meta);
        heads = postcard::to_extend(&head, heads).map_err(io::Error::other)?;
        head_offsets.push(heads.len() as u64);
    }
    out.section(*TRACKS, &heads)?;
    out.section(*TRACK_OFFSETS, &u64s(head_offsets.into_iter()))?;
    drop(heads);
    let paths: Vec<u8> = model
        .tracks
        .iter()
        .flat_map(|t| t.path.iter().copied())
        .collect();
    out.section(*PATHS, &paths)?;
    drop(paths);
    let mut offset = 0u64;
    let offsets = std::iter::once(0).chain(model.tracks.iter().map(|t| {
        offset += t.path.len() as u64;
        offset
    }));
    out.section(*PATH_OFFSETS, &u64s(offsets))?;
    let mut offset = 0u32;
    let offsets = std::iter::once(0).chain(model.tracks.iter().map(|t| {
        offset += t.tags.len() as u32;
        offset
    }));
    out.section(*TAG_OFFSETS, &u32s(offsets))?;
    out.section(
        *TAG_SCORES,
        &half::write(model.tracks.iter().flat_map(|t| t.tags.iter().copied())),
    )?;
    out.section(*ASSIGNMENT, &u32s(model.assignment.iter().copied()))?;
    out.section(*MAP, &f32s(model.map.iter().flatten().copied()))?;
    out.section(*PAGERANK, &f64s(model.pagerank.iter().copied()))?;
    let mut offset = 0u32;
    let offsets = std::iter::once(0).chain(model.graph.iter().map(|r| {
        offset += r.len() as u32;
        offset
    }));
    out.section(*GRAPH_OFFSETS, &u32s(offsets))?;
    let mut graph = Vec::with_capacity(model.graph.len() * model.params.neighbours * EDGE);
    for n in model.graph.iter().flatten() {
        graph.extend_from_slice(&n.index.to_le_bytes());
        graph.extend_from_slice(&half::write(std::iter::once(n.similarity)));
    }
    out.section(*GRAPH, &graph)?;
    drop(graph);
    out.section(*Z, &quant::write_rows(&space.z, &meta.z_scales))?;
    out.section(
        *TIMBRE,
        &half::write_rows(space.timbre(), &meta.timbre_scales),
    )?;
    out.section(
        *SPREADS,
        &f32s(
            space
                .stored_spreads()
                .flat_map(|(v, t)| [v.mean, v.sd, t.mean, t.sd])
                .map(|v| v as f32),
        ),
    )?;
    let (unit, spread) = space.deep_rows().unwrap_or((&[], &[]));
    out.section(*DEEP, &half::write(unit.iter().flatten().copied()))?;
    out.section(
        *DEEP_SPREADS,
        &f32s(spread.iter().flat_map(|s| [s.mean as f32, s.sd as f32])),
    )?;
    out.finish()
}

/// The number of `rows` and their common length; rows of other lengths
/// cannot be stored flat.
fn shape(rows: &[Vec<f32>]) -> io::Result<(u64, u32)> {
    let len = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|r| r.len() != len) {
        return Err(io::Error::other("rows of different lengths"));
    }
    Ok((rows.len() as u64, len as u32))
}

/// The meta section of an open model file.
pub fn meta(s: &Sections) -> Result<Meta, FrameError> {
    postcard::from_bytes(s.get(META)?).map_err(|e| corrupt(format!("cannot decode: {e}")))
}

/// The whole model of an open model file whose meta section is `meta`.
pub fn read(s: &Sections, meta: Meta) -> Result<Model, FrameError> {
    let n = usize::try_from(meta.tracks).map_err(|_| corrupt("track count".into()))?;
    let tag_offsets = read_u32s(s.get(TAG_OFFSETS)?);
    let scores = half::read(s.get(TAG_SCORES)?);
    let (heads, head_offsets) = (s.get(TRACKS)?, read_u64s(s.get(TRACK_OFFSETS)?));
    let (paths, path_offsets) = (s.get(PATHS)?, read_u64s(s.get(PATH_OFFSETS)?));
    if tag_offsets.len() != n + 1 || head_offsets.len() != n + 1 || path_offsets.len() != n + 1 {
        return Err(corrupt("track count mismatch".into()));
    }
    let tracks = (0..n)
        .map(|i| {
            let cut = |offsets: &[u64], what: &str| {
                usize::try_from(offsets[i])
                    .ok()
                    .zip(usize::try_from(offsets[i + 1]).ok())
                    .map(|(a, b)| a..b)
                    .ok_or_else(|| corrupt(format!("{what} out of bounds")))
            };
            let head = heads
                .get(cut(&head_offsets, "tracks")?)
                .ok_or_else(|| corrupt("tracks out of bounds".into()))?;
            let path = paths
                .get(cut(&path_offsets, "paths")?)
                .ok_or_else(|| corrupt("paths out of bounds".into()))?;
            let tags = scores
                .get(tag_offsets[i] as usize..tag_offsets[i + 1] as usize)
                .ok_or_else(|| corrupt("tag scores out of bounds".into()))?;
            track(head, path.to_vec(), tags.to_vec())
        })
        .collect::<Result<Vec<_>, FrameError>>()?;
    let assignment = read_u32s(s.get(ASSIGNMENT)?);
    let map: Vec<[f32; 2]> = read_f32s(s.get(MAP)?)
        .chunks_exact(2)
        .map(|p| [p[0], p[1]])
        .collect();
    let pagerank = read_f64s(s.get(PAGERANK)?);
    let graph_offsets = read_u32s(s.get(GRAPH_OFFSETS)?);
    let edges: Vec<Neighbour> = s.get(GRAPH)?.chunks_exact(EDGE).map(edge).collect();
    let graph = graph_offsets
        .windows(2)
        .map(|w| {
            edges
                .get(w[0] as usize..w[1] as usize)
                .map(<[Neighbour]>::to_vec)
                .ok_or_else(|| corrupt("graph out of bounds".into()))
        })
        .collect::<Result<Vec<_>, FrameError>>()?;
    let spreads: Vec<(Spread, Spread)> = read_f32s(s.get(SPREADS)?)
        .chunks_exact(4)
        .map(|c| {
            let spread = |mean: f32, sd: f32| Spread {
                mean: f64::from(mean),
                sd: f64::from(sd),
            };
            (spread(c[0], c[1]), spread(c[2], c[3]))
        })
        .collect();
    let deep_spreads: Vec<Spread> = read_f32s(s.get(DEEP_SPREADS)?)
        .chunks_exact(2)
        .map(|c| Spread {
            mean: f64::from(c[0]),
            sd: f64::from(c[1]),
        })
        .collect();
    let z = scaled_rows(s.get(Z)?, meta.z_rows, &meta.z_scales, n, Width::Byte)?;
    let timbre = scaled_rows(
        s.get(TIMBRE)?,
        meta.timbre_rows,
        &meta.timbre_scales,
        n,
        Width::Half,
    )?;
    let deep = match (meta.space.has_deep(), meta.deep_rows) {
        (true, shape) => Some((rows(&half::read(s.get(DEEP)?), shape, n)?, deep_spreads)),
        (false, _) => None,
    };
    let ok = z.len() == n
        && assignment.len() == n
        && map.len() == n
        && pagerank.len() == n
        && graph.len() == n
        && (timbre.is_empty() || timbre.len() == n)
        && (spreads.is_empty() || spreads.len() == n)
        && deep
            .as_ref()
            .is_none_or(|(u, sp)| u.len() == n && sp.len() == n)
        && assignment
            .iter()
            .all(|&c| (c as usize) < meta.clusters.len().max(1))
        && graph.iter().flatten().all(|e| (e.index as usize) < n)
        && meta
            .clusters
            .iter()
            .flat_map(|c| &c.members)
            .all(|&m| (m as usize) < n);
    if !ok {
        return Err(corrupt("sections disagree on the number of tracks".into()));
    }
    let space = Space::from_parts(
        meta.space,
        Arrays {
            z,
            timbre,
            spreads,
            deep,
        },
    );
    Ok(Model {
        key: meta.key,
        params: meta.params,
        feature_names: meta.feature_names,
        windows: meta.windows,
        tracks,
        space,
        assignment,
        clusters: meta.clusters,
        k_choice: meta.k_choice,
        map,
        graph,
        pagerank,
        genres: meta.genres,
    })
}

/// The track of encoded `head`, `path` and tag `scores`.
pub(super) fn track(head: &[u8], path: Vec<u8>, tags: Vec<f32>) -> Result<Track, FrameError> {
    let (size, mtime_ns, label, duration_s, meta): TrackHead =
        postcard::from_bytes(head).map_err(|e| corrupt(format!("cannot decode a track: {e}")))?;
    Ok(Track {
        path,
        size,
        mtime_ns,
        label,
        duration_s,
        tags,
        meta,
    })
}

fn corrupt(what: String) -> FrameError {
    FrameError::Corrupt(what)
}

/// How a scaled array stores a value.
#[derive(Clone, Copy)]
enum Width {
    /// One signed byte ([`quant`]).
    Byte,
    /// IEEE f16 ([`half`]).
    Half,
}

/// `bytes` cut into `count` rows of `len` values stored as `width`,
/// columns scaled by `scales`.
fn scaled_rows(
    bytes: &[u8],
    (count, len): (u64, u32),
    scales: &[f32],
    n: usize,
    width: Width,
) -> Result<Vec<Vec<f32>>, FrameError> {
    let per = match width {
        Width::Byte => 1,
        Width::Half => 2,
    };
    let count_n = usize::try_from(count).unwrap_or(usize::MAX);
    let size = count_n
        .checked_mul(len as usize)
        .and_then(|v| v.checked_mul(per));
    if (count_n != 0 && count_n != n) || size != Some(bytes.len()) || scales.len() != len as usize {
        return Err(corrupt("array size mismatch".into()));
    }
    if len == 0 {
        return Ok(vec![Vec::new(); count_n]);
    }
    Ok(bytes
        .chunks_exact(per * len as usize)
        .map(|r| match width {
            Width::Byte => quant::read_row(r, scales),
            Width::Half => half::read_row(r, scales),
        })
        .collect())
}

/// Bytes of one graph edge: the neighbour's row (u32) and the similarity
/// (f16).
pub(super) const EDGE: usize = 6;

/// The edge of `EDGE` bytes `c`.
pub(super) fn edge(c: &[u8]) -> Neighbour {
    Neighbour {
        index: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
        similarity: half::read(&c[4..6]).first().copied().unwrap_or(0.0),
    }
}

/// `flat` cut into `count` rows of `len`, `count` being 0 or the number
/// of tracks `n`.
fn rows(flat: &[f32], (count, len): (u64, u32), n: usize) -> Result<Vec<Vec<f32>>, FrameError> {
    let (count, len) = (usize::try_from(count).unwrap_or(usize::MAX), len as usize);
    if (count != 0 && count != n) || count.checked_mul(len) != Some(flat.len()) {
        return Err(corrupt("array size mismatch".into()));
    }
    if len == 0 {
        return Ok(vec![Vec::new(); count]);
    }
    Ok(flat.chunks_exact(len).map(<[f32]>::to_vec).collect())
}

fn u32s(values: impl Iterator<Item = u32>) -> Vec<u8> {
    values.flat_map(u32::to_le_bytes).collect()
}

fn f32s(values: impl Iterator<Item = f32>) -> Vec<u8> {
    values.flat_map(f32::to_le_bytes).collect()
}

fn u64s(values: impl Iterator<Item = u64>) -> Vec<u8> {
    values.flat_map(u64::to_le_bytes).collect()
}

fn f64s(values: impl Iterator<Item = f64>) -> Vec<u8> {
    values.flat_map(f64::to_le_bytes).collect()
}

fn read_u32s(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn read_u64s(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

fn read_f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn read_f64s(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

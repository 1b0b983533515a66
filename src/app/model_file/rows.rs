//! A model file answering a query in place ([`Rows`]): each row is read
//! from the mapped sections when asked for, its blocks' checksums checked
//! then ([`crate::store::sections::Section::read`]), so a query of one
//! library track reads and checks a few kilobytes of a 100 MB file.

use std::borrow::Cow;

use super::layout::{self, ASSIGNMENT, GRAPH, GRAPH_OFFSETS, MAP, PATHS, PATH_OFFSETS};
use super::layout::{DEEP, DEEP_SPREADS, SPREADS, TIMBRE};
use super::layout::{EDGE, TAG_OFFSETS, TAG_SCORES, TRACKS, TRACK_OFFSETS, Z};
use super::{frame_error, half, quant, ModelFile, Stale};
use crate::analysis::Windows;
use crate::model::graph::Neighbour;
use crate::model::{Cluster, Track};
use crate::query::Rows;
use crate::similarity::insertion::Links;
use crate::similarity::proximity::Spread;
use crate::similarity::stored::{Head, Row};
use crate::store::framed::FrameError;
use crate::store::sections::Section;

impl ModelFile {
    /// `i`, checked against the number of tracks.
    fn row(&self, i: usize) -> Result<usize, FrameError> {
        if (i as u64) < self.meta.tracks {
            Ok(i)
        } else {
            Err(FrameError::Corrupt(format!("track {i} out of bounds")))
        }
    }

    /// Items `i` and `i + 1` of an offsets section of `width`-byte items:
    /// where row `i` starts and ends.
    fn span(&self, s: &Section, i: usize, width: usize) -> Result<(usize, usize), FrameError> {
        let at = |j: usize| -> Result<usize, FrameError> {
            let v = s
                .item(j, width)?
                .iter()
                .rev()
                .fold(0u64, |v, &b| (v << 8) | u64::from(b));
            usize::try_from(v).map_err(|_| FrameError::Corrupt("offset out of bounds".into()))
        };
        let i = self.row(i)?;
        Ok((at(i)?, at(i + 1)?))
    }
}

/// `bytes` as little-endian f32s.
fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The rows, errors as the file tells them (see [`Rows`]).
impl ModelFile {
    fn row_of_raw(&self, path: &[u8]) -> Result<Option<usize>, FrameError> {
        let paths = self.sections.get(PATHS)?;
        let offsets = self.sections.get(PATH_OFFSETS)?;
        let mut start = 0u64;
        for (i, c) in offsets.chunks_exact(8).skip(1).enumerate() {
            let end = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            if end.checked_sub(start) == Some(path.len() as u64)
                && paths.get(start as usize..end as usize) == Some(path)
            {
                return Ok(Some(i));
            }
            start = end;
        }
        Ok(None)
    }

    fn track_raw(&self, i: usize) -> Result<Cow<'_, Track>, FrameError> {
        let s = |tag| self.sections.section(tag);
        let (a, b) = self.span(&s(TRACK_OFFSETS)?, i, 8)?;
        let head = s(TRACKS)?.read(a..b)?;
        let (a, b) = self.span(&s(PATH_OFFSETS)?, i, 8)?;
        let path = s(PATHS)?.read(a..b)?.to_vec();
        let (a, b) = self.span(&s(TAG_OFFSETS)?, i, 4)?;
        let tags = half::read(s(TAG_SCORES)?.read(a * 2..b * 2)?);
        layout::track(head, path, tags).map(Cow::Owned)
    }

    fn z_raw(&self, i: usize) -> Result<Cow<'_, [f32]>, FrameError> {
        let len = self.meta.z_rows.1 as usize;
        let row = self.sections.section(Z)?.item(self.row(i)?, len)?;
        Ok(Cow::Owned(quant::read_row(row, &self.meta.z_scales)))
    }

    fn graph_raw(&self, i: usize) -> Result<Cow<'_, [Neighbour]>, FrameError> {
        let (a, b) = self.span(&self.sections.section(GRAPH_OFFSETS)?, i, 4)?;
        let edges = self.sections.section(GRAPH)?.read(a * EDGE..b * EDGE)?;
        let row = edges
            .chunks_exact(EDGE)
            .map(|c| {
                let e = layout::edge(c);
                self.row(e.index as usize)?;
                Ok(e)
            })
            .collect::<Result<Vec<_>, FrameError>>()?;
        Ok(Cow::Owned(row))
    }

    fn assignment_raw(&self, i: usize) -> Result<u32, FrameError> {
        let b = self.sections.section(ASSIGNMENT)?.item(self.row(i)?, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn map_raw(&self, i: usize) -> Result<[f32; 2], FrameError> {
        let p = f32s(self.sections.section(MAP)?.item(self.row(i)?, 8)?);
        Ok([p[0], p[1]])
    }

    /// The whole graph's links (its sections read and checked whole).
    fn links_raw(&self) -> Result<Links, FrameError> {
        let n = self.len();
        let offsets = self.sections.get(GRAPH_OFFSETS)?;
        let edges = self.sections.get(GRAPH)?;
        let at = |i: usize| -> usize {
            offsets
                .get(4 * i..4 * i + 4)
                .map_or(0, |c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize)
        };
        if offsets.len() != 4 * (n + 1) || at(n) * EDGE != edges.len() {
            return Err(FrameError::Corrupt("graph size mismatch".into()));
        }
        // A row whose offsets run backwards or out of bounds reads as empty.
        let row = |i: usize| {
            edges
                .get(at(i) * EDGE..at(i + 1) * EDGE)
                .unwrap_or(&[])
                .chunks_exact(EDGE)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        };
        Ok(Links::of_lists(n, row))
    }

    fn space_row_raw(&self, i: usize) -> Result<Row, FrameError> {
        let i = self.row(i)?;
        let s = |tag| self.sections.section(tag);
        let timbre = match self.meta.timbre_rows {
            (0, _) | (_, 0) => Vec::new(),
            (_, len) => half::read_row(
                s(TIMBRE)?.item(i, 2 * len as usize)?,
                &self.meta.timbre_scales,
            ),
        };
        let spreads = s(SPREADS)?;
        let spreads = if spreads.is_empty() {
            None
        } else {
            let c = f32s(spreads.item(i, 16)?);
            let spread = |mean: f32, sd: f32| Spread {
                mean: f64::from(mean),
                sd: f64::from(sd),
            };
            Some((spread(c[0], c[1]), spread(c[2], c[3])))
        };
        let deep = match (self.meta.space.has_deep(), self.meta.deep_rows) {
            (true, (_, len)) => {
                let unit = half::read(s(DEEP)?.item(i, 2 * len as usize)?);
                let sp = f32s(s(DEEP_SPREADS)?.item(i, 8)?);
                Some((
                    unit,
                    Spread {
                        mean: f64::from(sp[0]),
                        sd: f64::from(sp[1]),
                    },
                ))
            }
            (false, _) => None,
        };
        Ok(Row {
            z: self.z_raw(i)?.into_owned(),
            timbre,
            spreads,
            deep,
        })
    }
}

impl Rows for ModelFile {
    type Error = Stale;

    fn len(&self) -> usize {
        usize::try_from(self.meta.tracks).unwrap_or(usize::MAX)
    }
    fn exact_below(&self) -> usize {
        self.meta.params.exact_below
    }
    fn feature_names(&self) -> &[String] {
        &self.meta.feature_names
    }
    fn clusters(&self) -> &[Cluster] {
        &self.meta.clusters
    }

    fn row_of(&self, path: &[u8]) -> Result<Option<usize>, Stale> {
        self.row_of_raw(path)
            .map_err(|e| frame_error(&self.path, e))
    }

    fn track(&self, i: usize) -> Result<Cow<'_, Track>, Stale> {
        self.track_raw(i).map_err(|e| frame_error(&self.path, e))
    }

    fn z(&self, i: usize) -> Result<Cow<'_, [f32]>, Stale> {
        self.z_raw(i).map_err(|e| frame_error(&self.path, e))
    }

    fn graph(&self, i: usize) -> Result<Cow<'_, [Neighbour]>, Stale> {
        self.graph_raw(i).map_err(|e| frame_error(&self.path, e))
    }

    fn assignment(&self, i: usize) -> Result<u32, Stale> {
        self.assignment_raw(i)
            .map_err(|e| frame_error(&self.path, e))
    }

    fn map(&self, i: usize) -> Result<[f32; 2], Stale> {
        self.map_raw(i).map_err(|e| frame_error(&self.path, e))
    }

    fn windows(&self) -> Windows {
        self.meta.windows
    }

    fn space_head(&self) -> Cow<'_, Head> {
        Cow::Borrowed(&self.meta.space)
    }

    fn space_row(&self, i: usize) -> Result<Row, Stale> {
        self.space_row_raw(i)
            .map_err(|e| frame_error(&self.path, e))
    }

    fn links(&self) -> Result<Links, Stale> {
        self.links_raw().map_err(|e| frame_error(&self.path, e))
    }
}

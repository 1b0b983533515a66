//! A new file (not a library track) queried against a model read in place
//! ([`Rows`]): the file is placed in a space of the model's mutual-proximity
//! sample alone (its spreads need nothing else), and its nearest tracks are
//! found by a best-first search through the stored kNN graph from the
//! sample's best ([`crate::similarity::insertion::search`], as an
//! incremental update inserts a track), each track met read and compared
//! on its own — a few thousand rows of 100 000, instead of loading the
//! model and comparing every track. A model whose sample holds every track
//! is compared with all of them, as the loaded model would be.

use std::cell::RefCell;

use std::collections::HashMap;
use std::path::Path;

use super::{analyse, describe_file, library_track, neighbours_in, place, result};
use super::{Near, QueryError, QueryResult, Rows};
use crate::similarity::insertion::{search, Insert, Links};
use crate::similarity::{Neighbour, Point, Space};

/// Entry tracks of the graph search: the best of the sample.
const ENTRIES: usize = 16;

/// The search keeps this many times the tracks an insertion keeps: a query
/// is one search, not thousands, and a file unlike the library (its
/// similarities nearly flat) needs the wider beam (7 of the loaded model's
/// 10 found with the insertion's beam on such a file at 100 000 tracks).
const WIDER: usize = 4;

/// Query the file at `path`, not an unchanged library track, from `rows`
/// in place. `Ok(None)`: it is an unchanged library track (see
/// [`super::query_library_track`]).
pub fn query_new_file<R: Rows + Sync>(
    rows: &R,
    path: &Path,
    k: usize,
) -> Result<Option<QueryResult>, QueryError> {
    let stored = |e: R::Error| QueryError::Model(e.to_string());
    let own = match library_track(rows, path)? {
        Some((_, _, true)) => return Ok(None),
        Some((i, _, false)) => Some(i),
        None => None,
    };
    let profile = rows.space_head().profile();
    let windows = rows.windows();
    // The file's analysis and the model's side (the sample's space, the
    // graph's links) need nothing of each other: on two threads, a query
    // takes the longer of the two, not their sum.
    let (analysed, side) = std::thread::scope(|s| {
        let side = s.spawn(|| Side::read(rows));
        let analysed = analyse(path, &windows, profile);
        (analysed, side.join())
    });
    let side = side.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    // The file's own error first, as when the two ran one after the other.
    let (a, embedding, tags) = analysed?;
    let mut r = side?.answer(rows, &a.fingerprint.values, embedding.as_deref(), own, k)?;
    describe_file(&mut r, rows, path, a, &tags).map_err(stored)?;
    Ok(Some(r))
}

/// Query with a new track of fingerprint `values` (and deep `embedding`),
/// leaving out library row `own`, from `rows` in place.
pub fn query_values_in<R: Rows>(
    rows: &R,
    values: &[f32],
    embedding: Option<&[f32]>,
    own: Option<usize>,
    k: usize,
) -> Result<QueryResult, QueryError> {
    Side::read(rows)?.answer(rows, values, embedding, own, k)
}

/// What a new track is compared with, read from the model before the
/// track is known.
struct Side {
    /// The mutual-proximity sample's rows of the model.
    sample: Vec<u32>,
    /// A space of those rows alone.
    space: Space,
    /// The graph's links, unless the sample holds every track.
    links: Option<Links>,
}

impl Side {
    /// Read the sample's space and the graph's links from `rows`.
    fn read<R: Rows>(rows: &R) -> Result<Side, QueryError> {
        let stored = |e: R::Error| QueryError::Model(e.to_string());
        let head = rows.space_head().into_owned();
        // The cosine profiles have no sample: the search starts from one
        // spread as mutual proximity's would be.
        let sample = match head.sample() {
            [] => crate::similarity::proximity::sample(rows.len()),
            s => s.to_vec(),
        };
        let sample_rows = sample
            .iter()
            .map(|&i| rows.space_row(i as usize))
            .collect::<Result<Vec<_>, R::Error>>()
            .map_err(stored)?;
        let space = Space::of_sample(head, sample_rows);
        let links = if whole(&sample, rows.len()) {
            None
        } else {
            Some(rows.links().map_err(stored)?)
        };
        Ok(Side {
            sample,
            space,
            links,
        })
    }

    /// The answer for a new track of fingerprint `values` (and deep
    /// `embedding`), leaving out library row `own`.
    fn answer<R: Rows>(
        &self,
        rows: &R,
        values: &[f32],
        embedding: Option<&[f32]>,
        own: Option<usize>,
        k: usize,
    ) -> Result<QueryResult, QueryError> {
        let stored = |e: R::Error| QueryError::Model(e.to_string());
        let p = place(&self.space, values, embedding)?;
        let near = match &self.links {
            None => neighbours_in(&self.space, &p, own, k),
            Some(links) => {
                nearest(rows, links, &self.space, &self.sample, &p, own, k).map_err(stored)?
            }
        };
        result(rows, &p.z, own, near).map_err(stored)
    }
}

/// True when `sample` is every one of `n` tracks, in order: the sample's
/// space is then the whole model's.
fn whole(sample: &[u32], n: usize) -> bool {
    sample.len() == n && sample.iter().enumerate().all(|(i, &s)| s as usize == i)
}

/// The `k` most similar distinct tracks to `p`, leaving out `own`, copies
/// folded as [`super::neighbours`] does; `space` holds the `sample` rows.
fn nearest<R: Rows>(
    rows: &R,
    links: &Links,
    space: &Space,
    sample: &[u32],
    p: &Point,
    own: Option<usize>,
    k: usize,
) -> Result<Vec<Near>, R::Error> {
    let entries: Vec<u32> = space
        .top_k(p, ENTRIES, |j| sample.get(j).map(|&s| s as usize) == own)
        .iter()
        .filter_map(|e| sample.get(e.index as usize).copied())
        .collect();
    let failed: RefCell<Option<R::Error>> = RefCell::new(None);
    let mut z: HashMap<u32, Vec<f32>> = HashMap::new();
    let beam = WIDER * Insert::new(k).beam.max(k);
    let met = search(links, &entries, beam, |bs, out| {
        for (b, o) in bs.iter().zip(out.iter_mut()) {
            *o = match rows.space_row(*b as usize) {
                Ok(row) => {
                    let s = space.similarity_to(p, &row);
                    z.insert(*b, row.z);
                    s
                }
                Err(e) => {
                    failed.borrow_mut().get_or_insert(e);
                    f32::NEG_INFINITY
                }
            };
        }
    });
    if let Some(e) = failed.into_inner() {
        return Err(e);
    }
    let mut out: Vec<(Neighbour, Vec<u32>)> = Vec::new();
    for c in met
        .iter()
        .take(beam)
        .filter(|c| Some(c.index as usize) != own)
    {
        let row = z.get(&c.index);
        let full = out.len() >= k;
        match out.iter_mut().find(|(o, _)| z.get(&o.index) == row) {
            Some((_, copies)) => copies.push(c.index),
            None if !full => out.push((*c, Vec::new())),
            None => {}
        }
    }
    Ok(out)
}

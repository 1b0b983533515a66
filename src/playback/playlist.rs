//! Play lists from the model: a library track and its nearest neighbours,
//! or a query and its similar tracks, in order of similarity.

use crate::model::Model;
use crate::query::QueryResult;
use crate::store::paths::from_bytes;

use super::Item;

/// The item for library row `row` (None if there is no such row).
pub fn track(model: &Model, row: usize) -> Option<Item> {
    let t = model.tracks.get(row)?;
    let mut item = Item::file(from_bytes(&t.path));
    item.track = Some(row);
    item.duration_s = Some(t.duration_s).filter(|d| d.is_finite() && *d > 0.0);
    Some(item)
}

/// Row `row`, then its neighbours in the similarity graph, nearest first.
pub fn around_track(model: &Model, row: usize) -> Vec<Item> {
    let Some(first) = track(model, row) else {
        return Vec::new();
    };
    let near = model.graph.get(row).map_or(&[][..], Vec::as_slice);
    std::iter::once(first)
        .chain(near.iter().filter_map(|n| track(model, n.index as usize)))
        .collect()
}

/// `first` (the query's own audio, when it can be played), then the
/// query's similar tracks, most similar first.
pub fn for_query(model: &Model, result: &QueryResult, first: Option<Item>) -> Vec<Item> {
    first
        .into_iter()
        .chain(
            result
                .similar
                .iter()
                .filter_map(|s| track(model, s.track as usize)),
        )
        .collect()
}
